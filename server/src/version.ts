/** Version reported by `/ping`; Rucio clients only check that it is present. */
export const SERVER_VERSION = '41.0.0-oxbow.0.1.0';
