import fs from 'node:fs';

/** Which of the process's outputs a chunk came from; the runner's own notes count as stderr. */
export type OutputStream = 'stdout' | 'stderr';

/**
 * Captures a run's stdout and stderr into one log file (logs/algorithm.log) up to a cap shared by both; one notice
 * marks the cut. Every kept chunk is also handed on live with the stream it came from.
 */
export class CappedLog {
  private written = 0;
  private truncated = false;
  private readonly file: fs.WriteStream;

  constructor(
    path: string,
    private readonly cap: number,
    private readonly onLog: (chunk: Buffer, stream: OutputStream) => void,
  ) {
    this.file = fs.createWriteStream(path, { flags: 'a' });
  }

  write(chunk: Buffer, stream: OutputStream): void {
    if (this.truncated) return;
    const room = this.cap - this.written;
    const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
    this.written += part.length;
    this.emit(part, stream);
    if (chunk.length > room) {
      this.truncated = true;
      this.emit(Buffer.from(`\n[bourse] log truncated at ${this.cap} bytes\n`), stream);
    }
  }

  note(text: string): void {
    this.emit(Buffer.from(`[bourse] ${text}\n`), 'stderr');
  }

  private emit(part: Buffer, stream: OutputStream): void {
    if (part.length === 0) return;
    this.file.write(part);
    this.onLog(part, stream);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.file.end(resolve));
  }
}
