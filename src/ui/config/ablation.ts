// Ablation groups: one base run config and a few axes (layer selection random/last/skip,
// re-weighting on/off, seeds, a companion baseline...) expand into the cartesian product of
// run configs, launched together and compared side by side (Compare view: mean ± spread over
// seeds, paired tests between variants).

import { defaultRecipe, type RecipeKind } from '../../core/distill/recipes';
import { runConfigErrors, type RunConfig } from './runConfig';

export type AxisValue = string | number | boolean | null;

export type AblationAxis =
  /** Sets one field, by dotted path ("recipe.selection", "seed", "recipe.dataProgressive.enabled"). */
  | { kind: 'field'; path: string; values: AxisValue[] }
  /** Swaps the recipe: the base recipe for its own kind, the defaults for any other kind. */
  | { kind: 'recipe'; values: RecipeKind[] };

export interface AblationVariant {
  /** "selection=last, reweight=off, seed=2". */
  label: string;
  config: RunConfig;
  /** Problems of this variant (e.g. k larger than a model's depth), by field. */
  errors: Record<string, string>;
}

/** Immutable set of a dotted path ("a.b.c") in plain objects. */
export function setPath<T>(obj: T, path: string, value: unknown): T {
  const [head, ...rest] = path.split('.');
  const o = (obj ?? {}) as Record<string, unknown>;
  if (!(head in o)) throw new RangeError(`ablation: no field "${head}" on the config (path ${path})`);
  return { ...o, [head]: rest.length ? setPath(o[head], rest.join('.'), value) : value } as T;
}

export function getPath(obj: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), obj);
}

const lastKey = (path: string) => path.slice(path.lastIndexOf('.') + 1);

function valueLabel(v: AxisValue): string {
  if (v === true) return 'on';
  if (v === false) return 'off';
  if (v === null) return 'default';
  return String(v);
}

/** The cartesian product of the axes over the base config, in axis order (the last varies fastest). */
export function expandAblation(base: RunConfig, axes: AblationAxis[]): AblationVariant[] {
  let variants: { parts: string[]; config: RunConfig }[] = [{ parts: [], config: base }];
  for (const axis of axes) {
    if (axis.values.length === 0) continue;
    const next: typeof variants = [];
    for (const v of variants) {
      if (axis.kind === 'recipe') {
        for (const kind of axis.values) {
          const recipe = kind === base.recipe.kind ? v.config.recipe : defaultRecipe(kind);
          next.push({ parts: [...v.parts, `recipe=${kind}`], config: { ...v.config, recipe } });
        }
      } else {
        for (const value of axis.values) {
          // A field of another recipe kind (after a recipe swap) does not apply: keep that variant as it is.
          if (axis.path.startsWith('recipe.') && getPath(v.config, axis.path) === undefined) {
            if (!next.some((n) => n.config === v.config)) next.push(v);
            continue;
          }
          next.push({ parts: [...v.parts, `${lastKey(axis.path)}=${valueLabel(value)}`], config: setPath(v.config, axis.path, value) });
        }
      }
    }
    variants = next;
  }
  return variants.map(({ parts, config }) => {
    const label = parts.join(', ') || 'base';
    const named = { ...config, name: parts.length ? `${base.name} [${label}]` : base.name };
    return { label, config: named, errors: runConfigErrors(named) };
  });
}

/** Parses "1, 2, 3" or "1-5" into seeds; null when the text is not a list of seeds. */
export function parseSeedList(text: string): number[] | null {
  const out: number[] = [];
  for (const part of text.split(/[\s,]+/).filter(Boolean)) {
    const range = /^(\d+)-(\d+)$/.exec(part);
    if (range) {
      const a = Number(range[1]);
      const b = Number(range[2]);
      if (b < a || b - a > 99) return null;
      for (let s = a; s <= b; s++) out.push(s);
    } else if (/^\d+$/.test(part)) out.push(Number(part));
    else return null;
  }
  return out.length ? [...new Set(out)] : null;
}
