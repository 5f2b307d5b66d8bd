/** ROOT compression algorithms as encoded in `setting = algorithm * 100 + level`. */
export const Algorithm = { inherit: 0, zlib: 1, lzma: 2, old: 3, lz4: 4, zstd: 5 } as const;

/** Parsed form of a ROOT compression setting. */
export interface CompressionSetting {
  algorithm: number;
  level: number;
}

/** Splits ROOT's `algorithm*100+level` integer (level 0 means uncompressed). */
export function parseSetting(setting: number): CompressionSetting {
  if (setting < 0) return { algorithm: 1, level: 1 };
  if (setting < 100) return { algorithm: setting === 0 ? 0 : 1, level: setting };
  return { algorithm: Math.floor(setting / 100), level: setting % 100 };
}

/** Human-readable name of the algorithm in a setting. */
export function algorithmName(setting: number): string {
  const { algorithm, level } = parseSetting(setting);
  if (level === 0) return 'none';
  return ['inherit', 'zlib', 'lzma', 'old', 'lz4', 'zstd'][algorithm] ?? `algorithm ${algorithm}`;
}
