import type { RObj } from '../io/types.js';

/** A branch in a tree, with its slash-separated path among nested branches. */
export interface BranchRef {
  path: string;
  branch: RObj;
}

/** Items of a TObjArray/TList member. */
export function items(list: unknown): RObj[] {
  const arr = (list as RObj | null | undefined)?.arr as (RObj | null)[] | undefined;
  return (arr ?? []).filter((x): x is RObj => x !== null && x !== undefined);
}

/** All branches of a tree, depth first (parents before their sub-branches). */
export function allBranches(tree: RObj): BranchRef[] {
  const out: BranchRef[] = [];
  const walk = (list: unknown, prefix: string) => {
    for (const b of items(list)) {
      const path = prefix ? `${prefix}/${b.fName}` : String(b.fName);
      out.push({ path, branch: b });
      walk(b.fBranches, path);
    }
  };
  walk(tree.fBranches, '');
  return out;
}

/** Is the class a tree (TTree or a subclass such as TNtuple)? */
export function isTreeClass(cls: string): boolean {
  return cls === 'TTree' || cls === 'TNtuple' || cls === 'TNtupleD' || cls === 'TChain';
}

/** A short description of a branch's layout; two trees merge only if these match branch by branch. */
export function branchSignature(b: RObj): string {
  const leaves = items(b.fLeaves)
    .map(
      (l) =>
        `${l._typename}:${l.fName}:${l.fLen}:${l.fLenType}:${(l.fLeafCount as RObj | null)?.fName ?? ''}`,
    )
    .join(',');
  const extra =
    b._typename === 'TBranchElement' ? `:${b.fClassName}:${b.fType}:${b.fStreamerType}:${b.fID}` : '';
  return `${b._typename}${extra}[${leaves}]`;
}
