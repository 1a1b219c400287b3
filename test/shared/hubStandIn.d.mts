// Types of hubStandIn.mjs (a local stand-in for the Hugging Face Hub; see there).
export type StandInFiles = Record<string, string | Uint8Array>;

export interface StandInRepo {
  files: StandInFiles;
  /** Commit sha (default: derived from the repo name). */
  sha?: string;
  /** Requests need `Authorization: Bearer <token>`. */
  token?: string;
  /** Revisions served besides 'main' and the sha. */
  revisions?: string[];
}

export interface HubStandIn {
  endpoint: string;
  /** Every request: "METHOD path". */
  requests: string[];
  /** The Authorization header of every request ('' when none). */
  authorizations: string[];
  repos: Map<string, StandInRepo>;
  faults: Map<string, 'corrupt' | 'truncate'>;
  close(): Promise<void>;
}

export function startHubStandIn(repos: Record<string, StandInRepo>): Promise<HubStandIn>;
/** Every file under dir, by '/'-separated relative path (JSON and text as strings). */
export function readTree(dir: string): StandInFiles;
