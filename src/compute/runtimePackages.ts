import { createHash } from 'node:crypto';

/**
 * Runtimes as Golem task packages. golem-js names the image an activity runs with `imageUrl` + `imageHash`, which
 * its demand states as `golem.srv.comp.task_package = hash:sha3:<imageHash>:<imageUrl>` (no image registry is asked
 * when both are given). A Bourse runner runs no images; it serves runtimes (node, sh, python3, …), so each runtime
 * is given one fixed package: `imageUrl` is `bourse://runtime/<name>` (nothing is ever downloaded from it) and
 * `imageHash` its SHA3-224, as golem-js expects of an image hash. A runner's offer lists the packages of its runtimes,
 * so a demand naming one matches only runners serving that runtime.
 */

export interface RuntimePackage {
  runtime: string;
  imageUrl: string;
  imageHash: string;
  /** The `golem.srv.comp.task_package` value a golem-js demand with this imageUrl and imageHash states. */
  taskPackage: string;
}

const URL_PREFIX = 'bourse://runtime/';

/** The package of one runtime: a pure function of its name, the same on every runner and API instance. */
export function runtimePackage(runtime: string): RuntimePackage {
  const imageUrl = `${URL_PREFIX}${runtime}`;
  const imageHash = createHash('sha3-224').update(imageUrl).digest('hex');
  return { runtime, imageUrl, imageHash, taskPackage: `hash:sha3:${imageHash}:${imageUrl}` };
}

/** The runtime a task package names, or undefined when it is not a Bourse runtime's package. */
export function runtimeOfPackage(taskPackage: unknown): string | undefined {
  if (typeof taskPackage !== 'string') return undefined;
  const at = taskPackage.indexOf(URL_PREFIX);
  if (at < 0) return undefined;
  const runtime = taskPackage.slice(at + URL_PREFIX.length);
  return runtimePackage(runtime).taskPackage === taskPackage ? runtime : undefined;
}
