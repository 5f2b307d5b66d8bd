/**
 * The one entry point to @peculiar/x509. Its tsyringe dependency needs the Reflect metadata polyfill
 * loaded before it evaluates, and it needs a WebCrypto provider; ESM evaluates imports in order, so
 * importing it only through this module guarantees both.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export const {
  X509Certificate,
  X509Crl,
  Name,
  BasicConstraintsExtension,
  KeyUsagesExtension,
  KeyUsageFlags,
} = x509;
export type X509Certificate = x509.X509Certificate;
export type X509Crl = x509.X509Crl;
export type Name = x509.Name;
