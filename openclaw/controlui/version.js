// The version of this UI: the package's (a test keeps the two equal), sent as the connect's client version.
export const VERSION = "2026.11.0";
