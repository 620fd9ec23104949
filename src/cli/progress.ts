/** A one-line progress display on an interactive stderr; silent otherwise (logs and CI stay clean). */
export class Progress {
  private readonly interactive = process.stderr.isTTY === true;
  private lastDrawMs = 0;

  constructor(private readonly label: string) {}

  update(done: number, total: number): void {
    if (!this.interactive) return;
    const now = Date.now();
    if (now - this.lastDrawMs < 100 && done < total) return;
    this.lastDrawMs = now;
    const fraction = total > 0 ? Math.min(1, done / total) : 0;
    const width = 30;
    const filled = Math.round(fraction * width);
    process.stderr.write(`\r${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${mib(done)}/${mib(total)} MiB`);
  }

  done(): void {
    if (this.interactive && this.lastDrawMs > 0) process.stderr.write('\n');
  }
}

function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}
