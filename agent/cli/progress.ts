// Progress on stderr, only when it is a terminal; overwritten in place, ~4 times a second.
export interface Progress {
  update(fields: () => string): void;
  done(): void;
}

export function createProgress(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { update() {}, done() {} };
  let last = 0;
  let shown = false;
  return {
    update(fields) {
      const now = Date.now();
      if (now - last < 250) return;
      last = now;
      shown = true;
      stream.write(`\r\x1b[K${label} ${fields()}`);
    },
    done() {
      if (shown) stream.write('\r\x1b[K');
    },
  };
}
