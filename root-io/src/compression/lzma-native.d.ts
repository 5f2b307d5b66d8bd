// Minimal typing for the parts of lzma-native we use (the package ships no types).
declare module 'lzma-native' {
  export const CHECK_CRC32: number;
  export function compress(data: Buffer, options: { preset?: number; check?: number }): Promise<Buffer>;
  export function decompress(data: Buffer): Promise<Buffer>;
}
