/** The local files an upload names: files as given, directories as the files directly inside them (as Rucio). */
import { readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { TransferInputError } from './errors.js';

/** One local file to upload under a DID name. */
export interface LocalFile {
  localPath: string;
  name: string;
  size: number;
}

/**
 * Expands the command-line paths: a file is itself, a directory contributes the regular files
 * directly in it (subdirectories are reported, not descended into, as `rucio upload` without
 * `--recursive`). `name` renames a single file. Missing paths, empty input and two files with the same
 * DID name are input errors.
 */
export async function collectLocalFiles(
  paths: readonly string[],
  opts: { name?: string } = {},
): Promise<{ files: LocalFile[]; warnings: string[] }> {
  const files: LocalFile[] = [];
  const warnings: string[] = [];
  for (const p of paths) {
    const full = resolve(p);
    const st = await stat(full).catch((e: NodeJS.ErrnoException) => {
      throw new TransferInputError(`${p}: ${e.code === 'ENOENT' ? 'no such file or directory' : e.message}`);
    });
    if (st.isFile()) {
      files.push({ localPath: full, name: basename(full), size: st.size });
      continue;
    }
    if (!st.isDirectory()) throw new TransferInputError(`${p}: not a regular file or directory`);
    const entries = (await readdir(full, { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    let n = 0;
    for (const e of entries) {
      const child = join(full, e.name);
      if (e.isDirectory()) {
        warnings.push(`${child}: subdirectories are not uploaded`);
        continue;
      }
      const cst = await stat(child);
      if (!cst.isFile()) continue;
      files.push({ localPath: child, name: e.name, size: cst.size });
      n++;
    }
    if (n === 0) warnings.push(`${p}: no files in this directory`);
  }
  if (files.length === 0) throw new TransferInputError('no files to upload');
  if (opts.name !== undefined) {
    if (files.length !== 1)
      throw new TransferInputError(`--name renames one file, but ${files.length} files were given`);
    files[0]!.name = opts.name;
  }
  const seen = new Map<string, string>();
  for (const f of files) {
    const other = seen.get(f.name);
    if (other)
      throw new TransferInputError(`${other} and ${f.localPath} would both be uploaded as '${f.name}'`);
    seen.set(f.name, f.localPath);
  }
  return { files, warnings };
}
