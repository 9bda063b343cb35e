/**
 * The Lambda artifact: the one `bootstrap` executable every activity's function runs,
 * built by `infra-cdk/scripts/build-functions.sh` (cargo lambda) into
 * `target/lambda/bootstrap/`. Its architecture is read from the ELF header, so the
 * functions are always declared with the architecture the binary was really built for.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Architecture } from './settings';

export const BUILD_COMMAND = 'infra-cdk/scripts/build-functions.sh';

export interface Artifact {
  /** The directory deployed as the functions' code (holds `bootstrap`). */
  dir: string;
  architecture: Architecture;
}

/** The artifact is missing, unreadable or not a Linux executable for Lambda. */
export class ArtifactError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArtifactError';
  }
}

// ELF e_machine values.
const EM_X86_64 = 62;
const EM_AARCH64 = 183;

/**
 * Reads `<dir>/bootstrap` and its architecture. When `wanted` is given (the
 * `architecture` context), the binary must have been built for it.
 */
export function readArtifact(dir: string, wanted?: Architecture): Artifact {
  const file = path.join(dir, 'bootstrap');
  if (!fs.existsSync(file)) {
    throw new ArtifactError(
      `the Lambda artifact ${file} does not exist: build it with \`${BUILD_COMMAND}\` ` +
        '(cargo lambda build --release -p stepwise-lambda --bin bootstrap), or point the `artifactDir` context at the directory holding `bootstrap`',
    );
  }
  const header = Buffer.alloc(20);
  const fd = fs.openSync(file, 'r');
  let read: number;
  try {
    read = fs.readSync(fd, header, 0, header.length, 0);
  } finally {
    fs.closeSync(fd);
  }
  const isElf = read === 20 && header[0] === 0x7f && header.toString('latin1', 1, 4) === 'ELF';
  if (!isElf) throw new ArtifactError(`${file} is not an ELF executable: rebuild it with \`${BUILD_COMMAND}\``);
  if (header[4] !== 2 || header[5] !== 1) {
    throw new ArtifactError(`${file} is not a 64-bit little-endian ELF executable: rebuild it with \`${BUILD_COMMAND}\``);
  }
  const machine = header.readUInt16LE(18);
  let architecture: Architecture;
  if (machine === EM_AARCH64) architecture = 'arm64';
  else if (machine === EM_X86_64) architecture = 'x86_64';
  else throw new ArtifactError(`${file} is built for ELF machine ${machine}, which Lambda does not run (arm64 or x86_64 only)`);

  if (wanted !== undefined && wanted !== architecture) {
    throw new ArtifactError(
      `context "architecture" is ${wanted} but ${file} is an ${architecture} executable: ` +
        `rebuild it for ${wanted} (\`${BUILD_COMMAND} --${wanted === 'arm64' ? 'arm64' : 'x86_64'}\`, which needs the ` +
        `${wanted === 'arm64' ? 'aarch64' : 'x86_64'}-unknown-linux-gnu Rust target) or deploy with -c architecture=${architecture}`,
    );
  }
  return { dir, architecture };
}
