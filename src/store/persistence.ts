// navigator.storage: how much the origin uses, and asking the browser to keep it.
// persist() exists on pages only (not in workers), so the page calls this directly.

/** The parts of navigator.storage the lab uses. */
export interface StorageManagerLike {
  estimate?(): Promise<{ usage?: number; quota?: number }>;
  persist?(): Promise<boolean>;
  persisted?(): Promise<boolean>;
}

export function defaultStorageManager(): StorageManagerLike | null {
  return (globalThis as { navigator?: { storage?: StorageManagerLike } }).navigator?.storage ?? null;
}

/**
 * Asks the browser not to evict the lab's data under storage pressure. Resolves true when
 * granted, false when refused, null where the API is missing (workers, old browsers).
 */
export async function requestPersistence(storage: StorageManagerLike | null = defaultStorageManager()): Promise<boolean | null> {
  if (!storage?.persist) return null;
  try {
    if (storage.persisted && (await storage.persisted())) return true;
    return await storage.persist();
  } catch {
    return false;
  }
}
