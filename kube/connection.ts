// Where the apiserver is and how to authenticate to it: what every loader (kubeconfig.ts,
// token-connection.ts) produces and HttpKubeApi consumes.

export interface TlsOptions {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  rejectUnauthorized?: boolean;
  servername?: string;
}

export interface Connection {
  server: URL;
  tls: TlsOptions;
  /** Headers for each request (Authorization), current as tokens rotate; `fresh` after a 401 re-reads a token file at once. */
  headers(fresh?: boolean): Promise<Record<string, string>>;
  /** Which loader produced it: 'in-cluster', 'kubeconfig' or 'client-node'. */
  via: 'in-cluster' | 'kubeconfig' | 'client-node';
}
