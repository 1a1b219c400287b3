// The built-in corpus's id, in a module of its own: the store (which stores it on first visit)
// and the page (which names it in the run controls and the recipe form, without loading the
// store or the world generator) share this one constant.

/** The corpus id of the built-in synthetic world (generateWorld's default preset). */
export const BUILTIN_WORLD_ID = 'world:default';
