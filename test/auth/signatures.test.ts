import { getBytes, toBeArray, Wallet } from 'ethers';
import { isSignedBy, messageHash, signOceanMessage } from '../../src/auth/signatures';

// reference/ocean-compute.md §2.1: Hardhat dev key #0 (public test key).
const HARDHAT_KEY_0 = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
const A = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';

const VECTORS = [
  {
    name: 'Node 3.x startCompute',
    message: `${A}1700000000000startCompute`,
    hash: '0x7604e495b0bd48a00642dde5cf0acdf0758d655ff13a1026396919dc0b38de9f',
    signature:
      '0x232e02b8570f01b72651b66fa5c22c2b35ac8095dff63be9b64e6345db5d06cd4290f34f437e5bba7f01bc98ec80c333eae9058b4a342646e55c29368e9383571c',
  },
  {
    name: 'Node 3.x getComputeResult',
    message: `${A}1700000000001getComputeResult`,
    hash: '0x4879d7bfd54f9feac1529c2e9fb9f82042e574f5253991ba580530dc8f7e4c7d',
    signature:
      '0x0c5efdd058434aed33de9509059bbbcaf4348bc5b791c4474503f1fa7d1d1eda49a1e86ca33a45a416fa7b2aa6e408c3dc8c8ef843fde333a410c29bed71b1991b',
  },
  {
    name: 'Node 3.x createAuthToken',
    message: `${A}1700000000002createAuthToken`,
    hash: '0xca0e10e32e6ab3b6cc23c49e80ef83de445ddf75ee7b74d3a29ce2d2b84bcbc4',
    signature:
      '0x8196b6cee6ee59ff0349ef55c417807ab653f9cb3ae209a0cabe60000e7ba6d65cc00ed6f5e3902d913d400519b1ab05d4f90e625a9b0a4aaad230108d08cef41c',
  },
  {
    name: 'Provider computeResult',
    message: `${A}abc12301700000000003`,
    hash: '0x63ccc063fecc4009ddcfd2f3c4843b9dc7379eb27d3dfe166c4af1c8b167f82d',
    signature:
      '0xef756f8dc3c8db2cc70adee42112cb347c0b0ae5d514f19b2cecd3444b393f0a4533c95f36f8633be1424c1a4d336272e420f36584983f5b5d8ae87605360fa01b',
  },
  {
    name: 'Provider createAuthToken',
    message: `${A}1700000000004`,
    hash: '0xf7d15745a2a77539a24f45b271e3b91ad57331ce530ae0b1733968bcfbb463b0',
    signature:
      '0x09bc81d586cc05933398a7b8c3832c54f1e19bdf9d9d813ddad63cbf846c842e1d8c00ca10a7f82a1c3f78ac355215950aea0945c769f28ebc2516dabcedad801b',
  },
];

/** `text` with the character at `i` replaced by a different one of the same kind. */
function tamper(text: string, i: number): string {
  const c = text[i];
  const swapped = /[0-9a-f]/i.test(c) ? (c.toLowerCase() === 'a' ? 'b' : 'a') : c === 'x' ? 'X' : 'x';
  return text.slice(0, i) + swapped + text.slice(i + 1);
}

describe('Ocean signing primitive (reference §2.1 vectors)', () => {
  it.each(VECTORS)(
    '$name: the hash and the signature verify, for the address in any case',
    ({ message, hash, signature }) => {
      expect(messageHash(message)).toBe(hash);
      expect(isSignedBy(message, signature, A)).toBe(true);
      expect(isSignedBy(message, signature, A.toLowerCase())).toBe(true);
      expect(isSignedBy(message, signature, A.toUpperCase().replace('0X', '0x'))).toBe(true);
    },
  );

  it('the client helper reproduces the vectors from Hardhat key #0 (ECDSA is deterministic)', async () => {
    const wallet = new Wallet(HARDHAT_KEY_0);
    for (const { message, signature } of VECTORS) expect(await signOceanMessage(wallet, message)).toBe(signature);
  });

  it('also accepts the signature over the 66-character hex text of the hash (reference value)', () => {
    const overHexText =
      '0xa5e448df4db1f158d0ff2142ca17da8b1cd1e05b1b7a28888342d077012fa65221a8a60a6f970bacef491f1d7d35a6f50b6ea45be6bcd1f61d4bbdf90fb9cbe21b';
    expect(isSignedBy(VECTORS[0].message, overHexText, A)).toBe(true);
    expect(isSignedBy(VECTORS[1].message, overHexText, A)).toBe(false);
  });

  it('accepts v written as 0/1 as well as 27/28 (Provider rewrites it), but not EIP-155 style v values', () => {
    const { message, signature } = VECTORS[4]; // v = 0x1b
    const body = signature.slice(0, -2);
    expect(isSignedBy(message, `${body}00`, A)).toBe(true);
    expect(isSignedBy(message, `${body}01`, A)).toBe(false);
    expect(isSignedBy(message, `${body}25`, A)).toBe(false);
  });

  it.each(VECTORS)('$name: any one-character change of the message is rejected', ({ message, signature }) => {
    for (let i = 0; i < message.length; i++) {
      // Changing the case of an address letter does not change the address, but does change the signed text.
      expect(isSignedBy(tamper(message, i), signature, A)).toBe(false);
    }
    expect(isSignedBy(`${message} `, signature, A)).toBe(false);
    expect(isSignedBy(message.slice(0, -1), signature, A)).toBe(false);
  });

  it.each(VECTORS)('$name: any one-character change of the signature is rejected', ({ message, signature }) => {
    for (let i = 2; i < signature.length; i++) expect(isSignedBy(message, tamper(signature, i), A)).toBe(false);
  });

  it.each(VECTORS)('$name: another address is rejected', ({ message, signature }) => {
    expect(isSignedBy(message, signature, Wallet.createRandom().address)).toBe(false);
    expect(isSignedBy(message, signature, tamper(A, 41))).toBe(false);
  });

  it('malformed signatures and addresses are "not verified", never an exception', () => {
    const { message, signature } = VECTORS[0];
    for (const bad of [
      '',
      '0x',
      'not a signature',
      signature.slice(0, -2),
      `${signature}00`,
      signature.replace('0x', ''),
      `0x${'zz'.repeat(65)}`,
      `0x${'00'.repeat(65)}`,
    ]) {
      expect(isSignedBy(message, bad, A)).toBe(false);
    }
    expect(isSignedBy(message, signature, 'nonsense')).toBe(false);
  });
});

describe('the encodings of the hash a signer may sign: exactly those ocean-node or Provider accept', () => {
  const wallet = new Wallet(HARDHAT_KEY_0);
  /** The first message `${A}<n>startCompute` whose hash starts with a zero byte (about 1 in 256). */
  function leadingZeroMessage(): string {
    for (let n = 1700000000000; ; n++) {
      const message = `${A}${n}startCompute`;
      if (getBytes(messageHash(message))[0] === 0) return message;
    }
  }

  it('a hash with a leading zero byte: ocean.js signs it as 31 bytes (toBeArray), which verifies', async () => {
    const message = leadingZeroMessage();
    const hash = messageHash(message);
    expect(hash.startsWith('0x00')).toBe(true);
    const minimal = toBeArray(hash);
    expect(minimal.length).toBe(31);
    expect(isSignedBy(message, await wallet.signMessage(minimal), A)).toBe(true);
    // The full 32 bytes and the hex text verify too; another message's signature does not.
    expect(isSignedBy(message, await wallet.signMessage(getBytes(hash)), A)).toBe(true);
    expect(isSignedBy(message, await wallet.signMessage(hash), A)).toBe(true);
    expect(isSignedBy(`${message}x`, await wallet.signMessage(minimal), A)).toBe(false);
  });

  it('nothing looser: the message text itself, other truncations and the bare hash text are refused', async () => {
    for (const message of [VECTORS[0].message, leadingZeroMessage()]) {
      const hash = messageHash(message);
      const bytes = getBytes(hash);
      for (const other of [
        message, // EIP-191 over the message text, not its hash
        bytes.slice(0, 31), // trailing byte dropped
        bytes.slice(2), // two leading bytes dropped
        hash.slice(2), // hex text without 0x
        hash.toUpperCase(), // hex text in another case
      ]) {
        expect(isSignedBy(message, await wallet.signMessage(other), A)).toBe(false);
      }
    }
  });
});
