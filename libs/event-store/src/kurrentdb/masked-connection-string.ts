// Apart from the adapter: the embedded log's start names a bad URL masked without loading the KurrentDB client.

/**
 * The connection string with its user and password masked, for errors and logs: read as the client reads them, a
 * `/` in the password included.
 */
export const maskedConnectionString = (connectionString: string): string =>
  connectionString.replace(/^(\s*[^:/]+:\/\/)[^:]+:[^@]+@/i, '$1***@');
