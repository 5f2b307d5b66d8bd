import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';

/** Every file (not directory) below root, as paths relative to root; missing root gives []. */
export async function walkFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  async function rec(dir: string) {
    let ents: import('node:fs').Dirent[];
    try {
      ents = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of ents) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await rec(p);
      else out.push(relative(root, p));
    }
  }
  await rec(root);
  return out.sort();
}
