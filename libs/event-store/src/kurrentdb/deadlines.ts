// The KurrentDB adapter's default deadlines, apart from it: the apps' settings name the second as their default
// without loading the client (`createEventStore` loads the adapter only for a KurrentDB URL).

/**
 * How long an append, a stream read or the head's read waits for KurrentDB's answer by default. The client's appends have no deadline of
 * their own on the connection (its batch-append stream is opened with none, and the server-features call every
 * append waits on first has none either), and its reads drop the `deadline` option: a node that holds the
 * connection open and never answers (a frozen process, a proxy in front of a dead node) held each call, and the
 * commands of its stream queued behind it, for good.
 */
export const DEFAULT_APPEND_TIMEOUT_MS = 10_000;

/**
 * How long a page of `$all` waits for KurrentDB by default: far longer than a stream read, since a filtered page may
 * scan a long log for a few events (a fleet worker's replay of the stores' streams), which must not fail for being
 * slow; but not for good. A node that takes the read and never answers held the projector's page loop, and the fleet's
 * workers waiting to replay the log, until the process restarted. The client gives no way to cancel a read of `$all`
 * in flight (an async iterator waiting on its native reader): a page given up on stays open at the node until its
 * connection closes, one a deadline, which this length keeps few.
 */
export const DEFAULT_READ_ALL_TIMEOUT_MS = 300_000;
