// BEIR JSONL: corpus.jsonl rows {"_id", "title", "text"}, queries.jsonl rows {"_id", "text"}.

import { eachRow, type ParseContext, type RowVerdict } from './rows';

/** Parses one JSONL row into an object, or returns the reason it is not one. */
function parseObject(text: string): Record<string, unknown> | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return `invalid JSON (truncated line?): ${msg}`;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'not a JSON object';
  return v as Record<string, unknown>;
}

/** An id may be written as a string or a number; anything else is missing. */
function idOf(o: Record<string, unknown>): string {
  const v = o._id ?? o.id;
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return '';
}

const str = (v: unknown) => (typeof v === 'string' ? v : '');

export function parseBeirCorpus(ctx: ParseContext): Promise<void> {
  const { fr, builder } = ctx;
  return eachRow(ctx, (text, line): RowVerdict => {
    const o = parseObject(text);
    if (typeof o === 'string') return o;
    const id = idOf(o);
    if (id === '') return 'missing "_id"';
    if (o.text !== undefined && typeof o.text !== 'string') return `"text" of document "${id}" is not a string`;
    return builder.addDoc(id, str(o.title).trim(), str(o.text).trim(), { file: fr.file, line });
  });
}

export function parseBeirQueries(ctx: ParseContext): Promise<void> {
  const { fr, builder } = ctx;
  return eachRow(ctx, (text, line): RowVerdict => {
    const o = parseObject(text);
    if (typeof o === 'string') return o;
    const id = idOf(o);
    if (id === '') return 'missing "_id"';
    if (o.text !== undefined && typeof o.text !== 'string') return `"text" of query "${id}" is not a string`;
    return builder.addQuery(id, str(o.text).trim(), { file: fr.file, line }, fr.split);
  });
}
