// Built-in synthetic worlds: a seeded generator that invents a small world (people,
// companies, towns, animals, instruments, each with attributes), writes passages that
// state those attributes (mixed with sentences about other entities), and asks queries
// for one attribute of one entity in other words. Why it makes a good teaching corpus:
//  - every attribute is stated with one of a few phrasings ("cue groups") and asked with
//    another at the preset's synonym rate, so the relevant passage often shares only the
//    entity's name with the query;
//  - passages about *other* entities mention the asked entity and use the query's words
//    for their own attributes (a lexical trap BM25 falls into, and a model can learn to
//    see through: the subject is what matters);
//  - the mapping "based" ~ "head office", "when" ~ a year, ... is the same across the
//    world, so a neural model can learn it from training queries and use it on held-out
//    (entity, attribute) pairs.
// Graded qrels: 2 = the passage stating the asked attribute of the entity, 1 = another
// passage about that entity. Train/dev/test ask disjoint (entity, attribute) pairs.

import { ConfigError } from '../errors';
import { Rng } from '../rng';
import type { Corpus, Doc, Qrel, Query, Split } from './types';

export type WorldPreset = 'easy' | 'default' | 'hard';

export interface WorldConfig {
  /** Number of entities (all types together). */
  entities: number;
  /** Extra "news" passages (no attribute stated), as a fraction of the entity passages. */
  newsRate: number;
  /** Queries per split. Each asks a distinct (entity, attribute) pair across all splits. */
  train: number;
  dev: number;
  test: number;
  /** P(a query words the attribute differently from its relevant passage). */
  synonymRate: number;
  /** Expected background sentences per passage naming another entity. */
  distractorRate: number;
  /** Expected lexical traps per query: other entities' passages stating the same attribute in the query's words and naming the query's entity. */
  trapRate: number;
  /** P(per query, per kind) of surface noise: short name, filler words, typo, reordering. */
  paraphraseNoise: number;
  /** Size of the first-name / surname / word pools: smaller means more shared name parts. */
  namePool: number;
}

export interface WorldOptions extends Partial<WorldConfig> {
  preset?: WorldPreset;
  seed?: number;
}

export interface WorldPresetInfo {
  id: WorldPreset;
  label: string;
  description: string;
  config: WorldConfig;
}

export const WORLD_PRESETS: readonly WorldPresetInfo[] = [
  {
    id: 'easy',
    label: 'Easy',
    description: 'About 1,500 passages and 1,600 queries; queries mostly reuse the passage wording and few passages mislead: BM25 already does well.',
    config: { entities: 450, newsRate: 0.1, train: 1200, dev: 200, test: 200, synonymRate: 0.25, distractorRate: 0.3, trapRate: 0.3, paraphraseNoise: 0.05, namePool: 120 },
  },
  {
    id: 'default',
    label: 'Default',
    description: 'About 2,800 passages and 2,600 queries; most queries reword the attribute and other passages use their words: BM25 is clearly beatable.',
    config: { entities: 750, newsRate: 0.2, train: 2000, dev: 300, test: 300, synonymRate: 0.6, distractorRate: 0.5, trapRate: 3, paraphraseNoise: 0.2, namePool: 80 },
  },
  {
    id: 'hard',
    label: 'Hard',
    description: 'About 3,700 passages; more entities sharing name parts, nearly every query reworded, dense lexical traps and noisy queries.',
    config: { entities: 900, newsRate: 0.3, train: 2000, dev: 300, test: 300, synonymRate: 0.85, distractorRate: 1, trapRate: 4, paraphraseNoise: 0.35, namePool: 45 },
  },
];

export function worldPreset(id: WorldPreset): WorldPresetInfo {
  const p = WORLD_PRESETS.find((x) => x.id === id);
  if (!p) throw new ConfigError(`unknown world preset "${id}" (expected ${WORLD_PRESETS.map((x) => x.id).join(', ')})`);
  return p;
}

// ---------------------------------------------------------------------------------------
// The world's schema: types, their attributes, and how each attribute is said.

type EntityType = 'person' | 'company' | 'town' | 'animal' | 'instrument';
type ValueKind = 'town' | 'year' | 'profession' | 'person' | 'product' | 'region' | 'river' | 'color' | 'terrain' | 'food' | 'material' | 'count';

/** A phrasing: `g` is its cue group; a query shares its attribute words only with passages of the same group. */
interface Phrase {
  g: string;
  t: string;
}

interface AttributeDef {
  key: string;
  value: ValueKind;
  /** Passage sentences: {e} the entity, {v} the value. */
  say: Phrase[];
  /** Query phrasings: {e} the entity. */
  ask: Phrase[];
}

const P = (g: string, ...ts: string[]): Phrase[] => ts.map((t) => ({ g, t }));

const SCHEMA: Record<EntityType, AttributeDef[]> = {
  person: [
    {
      key: 'birthplace', value: 'town',
      say: [...P('a', '{e} was born in {v}.', '{e} was born in the town of {v}.'), ...P('b', "{e}'s birthplace is {v}."), ...P('c', '{e} is a native of {v}.', '{v} was the hometown of {e}.'), ...P('x', '{e} comes from {v}.', '{e} grew up in {v}.')],
      ask: [...P('a', 'where was {e} born?', 'in which town was {e} born?'), ...P('b', 'what is the birthplace of {e}?', '{e} birthplace'), ...P('c', "what is {e}'s hometown?", '{e} is a native of which town?'), ...P('x', 'where does {e} come from?', 'what town did {e} grow up in?')],
    },
    {
      key: 'birthYear', value: 'year',
      say: [...P('a', '{e} was born in {v}.'), ...P('b', "{e}'s year of birth is {v}."), ...P('c', '{e} arrived in the world in {v}.'), ...P('x', "{e}'s life began in {v}.")],
      ask: [...P('a', 'when was {e} born?', 'in what year was {e} born?'), ...P('b', 'year of birth of {e}', '{e} birth year'), ...P('c', 'what year did {e} arrive in the world?'), ...P('x', "when did {e}'s life begin?", 'how long ago did {e} live?')],
    },
    {
      key: 'profession', value: 'profession',
      say: [...P('a', '{e} worked as a {v}.'), ...P('b', '{e} was a {v} by trade.'), ...P('c', '{e} earned a living as a {v}.'), ...P('d', 'By profession, {e} was a {v}.'), ...P('x', "{e}'s job was that of a {v}.", "{e}'s occupation was that of a {v}.")],
      ask: [...P('a', 'what did {e} work as?'), ...P('b', 'what trade did {e} practise?'), ...P('c', 'how did {e} earn a living?'), ...P('d', "what was {e}'s profession?"), ...P('x', "what was {e}'s job?", '{e} occupation')],
    },
    {
      key: 'mentor', value: 'person',
      say: [...P('a', '{e} was taught by {v}.'), ...P('b', '{e} trained under {v}.'), ...P('c', '{e} was the pupil of {v}.'), ...P('d', '{v} was the mentor of {e}.'), ...P('x', '{v} was the teacher of {e}.', '{e} served an apprenticeship with {v} as master.')],
      ask: [...P('a', 'who taught {e}?'), ...P('b', 'under whom did {e} train?'), ...P('c', 'whose pupil was {e}?'), ...P('d', "who was {e}'s mentor?"), ...P('x', 'who was the teacher of {e}?', '{e} apprenticeship master')],
    },
  ],
  company: [
    {
      key: 'founded', value: 'year',
      say: [...P('a', '{e} was founded in {v}.'), ...P('b', '{e} was established in {v}.'), ...P('c', '{e} opened its doors in {v}.'), ...P('d', '{e} has been in business since {v}.'), ...P('x', '{e} started out in {v}.')],
      ask: [...P('a', 'when was {e} founded?'), ...P('b', 'what year was {e} established?'), ...P('c', 'when did {e} open its doors?'), ...P('d', 'since when has {e} been in business?'), ...P('x', 'how old is {e}?', 'when did {e} start?')],
    },
    {
      key: 'founder', value: 'person',
      say: [...P('a', '{e} was founded by {v}.'), ...P('b', '{v} started {e}.'), ...P('c', '{e} was set up by {v}.'), ...P('d', '{v} created {e}.'), ...P('x', 'The first owner of {e} was {v}.', '{v} was the original owner of {e}.')],
      ask: [...P('a', 'who founded {e}?'), ...P('b', 'who started {e}?'), ...P('c', 'who set up {e}?'), ...P('d', 'who created {e}?'), ...P('x', 'who was the first owner of {e}?', '{e} original owner')],
    },
    {
      key: 'headquarters', value: 'town',
      say: [...P('a', '{e} is headquartered in {v}.'), ...P('b', '{e} is based in {v}.'), ...P('c', '{e} has its head office in {v}.'), ...P('d', '{e} runs its business from {v}.'), ...P('x', '{v} is home to {e}.', 'The staff of {e} work in {v}.')],
      ask: [...P('a', 'where is {e} headquartered?', '{e} headquarters'), ...P('b', 'where is {e} based?'), ...P('c', "in which town is {e}'s head office?"), ...P('x', 'what town is home to {e}?', "where do {e}'s staff go to work?")],
    },
    {
      key: 'product', value: 'product',
      say: [...P('a', '{e} makes {v}.'), ...P('b', '{e} produces {v}.'), ...P('c', '{e} is known for its {v}.'), ...P('d', '{e} trades in {v}.'), ...P('x', 'The main product of {e} is {v}.', "{e}'s goods are {v}.")],
      ask: [...P('a', 'what does {e} make?'), ...P('b', 'what does {e} produce?'), ...P('c', 'what is {e} known for?'), ...P('d', 'what does {e} trade in?'), ...P('x', 'what goods come from {e}?', '{e} main product')],
    },
  ],
  town: [
    {
      key: 'region', value: 'region',
      say: [...P('a', '{e} lies in {v}.'), ...P('b', '{e} is located in {v}.'), ...P('c', '{e} is a town in {v}.'), ...P('d', '{e} belongs to {v}.'), ...P('x', 'The region around {e} is {v}.', '{e} is in the part of the country called {v}.')],
      ask: [...P('a', 'where does {e} lie?'), ...P('b', 'where is {e} located?'), ...P('c', '{e} is a town in which area?'), ...P('d', 'what does {e} belong to?'), ...P('x', 'in what part of the country is {e}?', '{e} region')],
    },
    {
      key: 'river', value: 'river',
      say: [...P('a', '{e} sits on the banks of {v}.'), ...P('b', '{v} flows through {e}.'), ...P('c', '{e} was built beside {v}.'), ...P('x', '{v} is the river that runs past {e}.', 'The water passing by {e} is {v}.')],
      ask: [...P('a', '{e} sits on the banks of which river?'), ...P('b', 'what flows through {e}?'), ...P('c', 'what was {e} built beside?'), ...P('x', 'which river runs past {e}?', '{e} river', 'what water passes by {e}?')],
    },
    {
      key: 'speciality', value: 'product',
      say: [...P('a', '{e} is famous for its {v}.'), ...P('b', '{e} is known for {v}.'), ...P('c', 'The {v} of {e} are sold far and wide.'), ...P('d', '{e} has a long tradition of making {v}.'), ...P('x', 'The local speciality of {e} is {v}.')],
      ask: [...P('a', 'what is {e} famous for?'), ...P('b', 'what is {e} known for?'), ...P('c', 'what does {e} sell far and wide?'), ...P('d', 'what does {e} have a long tradition of?'), ...P('x', "what is {e}'s speciality?", '{e} local speciality')],
    },
    {
      key: 'settled', value: 'year',
      say: [...P('a', '{e} was settled in {v}.'), ...P('b', 'The first houses in {e} were built in {v}.'), ...P('c', '{e} received its charter in {v}.'), ...P('x', '{e} was founded in {v}.')],
      ask: [...P('a', 'when was {e} settled?'), ...P('b', 'when were the first houses built in {e}?'), ...P('c', 'when did {e} receive its charter?'), ...P('x', 'how old is the town of {e}?', '{e} year founded')],
    },
  ],
  animal: [
    {
      key: 'colour', value: 'color',
      say: [...P('a', '{e} is {v} in colour.'), ...P('b', '{e} has a {v} coat.'), ...P('c', '{e} is easy to spot thanks to its {v} markings.'), ...P('x', '{e} is {v} in color.', '{e} has a {v} hue.')],
      ask: [...P('a', 'what colour is {e}?'), ...P('b', 'what kind of coat does {e} have?'), ...P('c', 'what markings does {e} have?'), ...P('x', 'what color is {e}?', '{e} hue', 'what does {e} look like?')],
    },
    {
      key: 'habitat', value: 'terrain',
      say: [...P('a', '{e} lives in {v}.'), ...P('b', '{e} makes its home in {v}.'), ...P('c', '{e} is found in {v}.'), ...P('x', 'The habitat of {e} is {v}.', '{e} thrives in {v}.')],
      ask: [...P('a', 'where does {e} live?'), ...P('b', 'where does {e} make its home?'), ...P('c', 'where is {e} found?'), ...P('x', 'what is the habitat of {e}?', '{e} habitat', 'in what surroundings does {e} thrive?')],
    },
    {
      key: 'range', value: 'region',
      say: [...P('a', '{e} roams across {v}.'), ...P('b', '{e} occurs throughout {v}.'), ...P('c', 'The range of {e} covers {v}.'), ...P('x', '{e} can be seen in {v}.', 'The distribution area of {e} is {v}.')],
      ask: [...P('a', 'where does {e} roam?'), ...P('b', 'where does {e} occur?'), ...P('c', 'what is the range of {e}?'), ...P('x', 'in which region can one see {e}?', '{e} distribution area')],
    },
    {
      key: 'diet', value: 'food',
      say: [...P('a', '{e} eats {v}.'), ...P('b', '{e} feeds on {v}.'), ...P('c', '{e} lives mostly on {v}.'), ...P('d', 'The diet of {e} consists of {v}.'), ...P('x', '{e} prefers {v} as food.', '{e} hunts {v}.')],
      ask: [...P('a', 'what does {e} eat?'), ...P('b', 'what does {e} feed on?'), ...P('d', 'what is the diet of {e}?'), ...P('x', 'what food does {e} prefer?', '{e} favourite food', 'what does {e} hunt?')],
    },
    {
      key: 'discoverer', value: 'person',
      say: [...P('a', '{e} was discovered by {v}.'), ...P('b', '{v} first described {e}.'), ...P('c', '{e} was first recorded by {v}.'), ...P('x', '{v} was the first to find {e}.', 'The naturalist {v} came across {e} first.')],
      ask: [...P('a', 'who discovered {e}?'), ...P('b', 'who first described {e}?'), ...P('c', 'who first recorded {e}?'), ...P('x', 'who was the first to find {e}?', 'which naturalist came across {e} first?')],
    },
  ],
  instrument: [
    {
      key: 'material', value: 'material',
      say: [...P('a', '{e} is made of {v}.'), ...P('b', '{e} is carved from {v}.'), ...P('c', '{e} is built from {v}.'), ...P('x', 'The material of {e} is {v}.', '{v} is the substance used for {e}.')],
      ask: [...P('a', 'what is {e} made of?'), ...P('b', 'what is {e} carved from?'), ...P('c', 'what is {e} built from?'), ...P('x', 'what material is {e}?', '{e} material', 'what substance is used for {e}?')],
    },
    {
      key: 'inventor', value: 'person',
      say: [...P('a', '{e} was invented by {v}.'), ...P('b', '{v} designed {e}.'), ...P('c', '{e} was the creation of {v}.'), ...P('x', '{v} came up with {e}.', 'The inventor of {e} was {v}.')],
      ask: [...P('a', 'who invented {e}?'), ...P('b', 'who designed {e}?'), ...P('c', 'whose creation is {e}?'), ...P('x', 'who came up with {e}?', '{e} inventor')],
    },
    {
      key: 'origin', value: 'town',
      say: [...P('a', '{e} comes from {v}.'), ...P('b', '{e} originated in {v}.'), ...P('c', '{e} was first played in {v}.'), ...P('x', '{v} is the hometown of {e}.', '{e} first appeared in the town of {v}.')],
      ask: [...P('a', 'where does {e} come from?'), ...P('b', 'where did {e} originate?', '{e} place of origin'), ...P('c', 'where was {e} first played?'), ...P('x', 'what is the hometown of {e}?', 'in which town did {e} appear?')],
    },
    {
      key: 'strings', value: 'count',
      say: [...P('a', '{e} has {v} strings.'), ...P('b', '{e} is played with {v} strings.'), ...P('c', '{v} strings run along the neck of {e}.'), ...P('x', 'The number of strings on {e} is {v}.')],
      ask: [...P('a', 'how many strings does {e} have?'), ...P('x', '{e} string count', 'number of strings on {e}')],
    },
    {
      key: 'invented', value: 'year',
      say: [...P('a', '{e} was invented in {v}.'), ...P('b', '{e} first appeared in {v}.'), ...P('c', '{e} dates from {v}.'), ...P('x', '{e} was new in {v}.')],
      ask: [...P('a', 'when was {e} invented?', '{e} year of invention'), ...P('b', 'when did {e} first appear?'), ...P('c', 'what date does {e} go back to?'), ...P('x', 'how old is {e}?', 'in which year was {e} new?')],
    },
  ],
};

/** At most this many trap sentences in one passage. */
const MAX_TRAPS = 4;

const TYPE_SHARE: [EntityType, number][] = [['person', 0.3], ['company', 0.2], ['town', 0.15], ['animal', 0.2], ['instrument', 0.15]];

/** A way to refer to an entity: as a sentence's subject, as an object, and possessive. */
interface Ref {
  subj: string;
  obj: string;
  poss: string;
}
const nameRef = (name: string): Ref => ({ subj: name, obj: name, poss: name.endsWith('s') ? `${name}'` : `${name}'s` });
const nounRef = (noun: string): Ref => ({ subj: noun, obj: noun, poss: `${noun}'s` });
const SHE: Ref = { subj: 'she', obj: 'her', poss: 'her' };
const HE: Ref = { subj: 'he', obj: 'him', poss: 'his' };

/** How a passage refers back to its subject after the first sentence (persons: pronouns and surname). */
const ANAPHOR: Record<Exclude<EntityType, 'person'>, Ref[]> = {
  company: [nounRef('the company'), nounRef('the firm')],
  town: [nounRef('the town')],
  animal: [nounRef('the animal'), nounRef('the creature')],
  instrument: [nounRef('the instrument')],
};

/** Fills placeholder `key` of a template with a reference: possessive, subject at the start, else object. */
function subst(t: string, key: string, ref: Ref): string {
  const s = t.replace(`{${key}}'s`, ref.poss);
  return s.startsWith(`{${key}}`) ? s.replace(`{${key}}`, ref.subj) : s.replace(`{${key}}`, ref.obj);
}

/** Sentence case, and "a" -> "an" before a vowel ("an amber coat", "an engineer"). */
const sentence = (s: string) => cap(s).replace(/\b([Aa]) (?=[aeiou])/g, '$1n ');

/** Sentences that state nothing askable, to vary passage length. */
const FILLER: Record<EntityType, string[]> = {
  person: ['{e} is still remembered today.', '{e} travelled widely.', 'Letters by {e} survive in several archives.', '{e} rarely spoke in public.'],
  company: ['{e} employs many people.', '{e} has grown steadily.', '{e} is a family business.', 'Its old ledgers are kept in a museum.'],
  town: ['{e} is quiet in winter.', 'Visitors come to {e} in summer.', '{e} holds a market every week.', 'The old square of {e} is paved with stone.'],
  animal: ['{e} is shy.', '{e} is most active at dusk.', 'Little else is known about {e}.', '{e} is rarely kept in zoos.'],
  instrument: ['{e} is rarely heard today.', '{e} has a soft tone.', 'Few players master {e}.', '{e} appears in old songs.'],
};

/** Sentences linking two entities without stating any attribute (so qrels stay exact). */
const RELATIONS: Record<EntityType, Partial<Record<EntityType, string[]>>> = {
  person: {
    person: ['{a} often wrote letters to {b}.', '{a} and {b} were close friends.', '{a} once shared a stage with {b}.', '{a} quarrelled with {b}.'],
    company: ['{a} once worked for {b}.', '{a} invested in {b}.'],
    town: ['{a} often visited {b}.', '{a} spent a winter in {b}.'],
    animal: ['{a} kept {b} as a pet.', '{a} painted {b}.'],
    instrument: ['{a} liked to play {b}.', '{a} collected {b}.'],
  },
  company: {
    company: ['{a} competes with {b}.', '{a} once tried to buy {b}.', '{a} shares a warehouse with {b}.'],
    person: ['{a} sponsored {b}.', '{a} once hired {b}.'],
    town: ['{a} opened a shop in {b}.', '{a} is popular in {b}.'],
    instrument: ['{a} sells {b}.', '{a} repairs {b}.'],
  },
  town: {
    town: ['{a} is twinned with {b}.', 'A railway links {a} and {b}.', '{a} lies a day away from {b}.'],
    person: ['{a} named a street after {b}.', '{a} has a statue of {b}.'],
    company: ['{a} welcomed a branch of {b}.'],
    animal: ['{b} is sometimes seen near {a}.'],
  },
  animal: {
    animal: ['{a} is often confused with {b}.', '{a} is sometimes seen alongside {b}.', '{a} competes with {b} for food.'],
    person: ['{a} was painted by {b}.'],
    town: ['{a} appears on the crest of {b}.'],
  },
  instrument: {
    instrument: ['{a} is often played together with {b}.', '{a} sounds a little like {b}.', '{a} is tuned to match {b}.'],
    person: ['{a} was a favourite of {b}.'],
    company: ['{a} is sold by {b}.'],
  },
};

const NEWS = [
  'In {year}, {a} and {b} were both mentioned at the fair in {town}.',
  'A report from {town} names {a} next to {b}.',
  'Visitors to {town} in {year} saw {a} and heard about {b}.',
  'An old almanac from {year} lists {a}, {b} and {c}.',
  'A {profession} from {town} once compared {a} with {b}.',
];

const FILLERS_BEFORE = ['tell me', 'i wonder', 'quick question:', 'do you know', 'please tell me', 'i would like to know'];
const FILLERS_AFTER = ['please', 'thanks', 'anyone know?', 'i forgot'];

const PROFESSIONS = ['painter', 'chemist', 'sailor', 'astronomer', 'engineer', 'composer', 'physician', 'architect', 'weaver', 'botanist', 'cartographer', 'poet', 'glassblower', 'clockmaker', 'surveyor', 'printer'];
const PRODUCTS = ['cheese', 'glassware', 'clocks', 'paper', 'lenses', 'wool', 'cider', 'bells', 'maps', 'ropes', 'soap', 'candles', 'ink', 'salt', 'tea', 'barrels'];
const COLORS = ['red', 'blue', 'green', 'yellow', 'black', 'white', 'grey', 'orange', 'purple', 'brown', 'golden', 'pink', 'scarlet', 'amber'];
const TERRAINS = ['marshes', 'pine forests', 'high mountains', 'sand dunes', 'coral reefs', 'limestone caves', 'open grasslands', 'river banks', 'salt flats', 'the tundra'];
const FOODS = ['insects', 'fish', 'berries', 'seeds', 'leaves', 'worms', 'fruit', 'snails', 'roots', 'mushrooms', 'crabs', 'nectar'];
const MATERIALS = ['oak', 'brass', 'copper', 'bone', 'bamboo', 'silver', 'iron', 'clay', 'glass', 'reed', 'walnut', 'pewter', 'maple', 'horn'];
const REGION_KINDS = ['Valley', 'Coast', 'Highlands', 'Plains', 'Hills', 'Basin', 'Marches', 'Lowlands'];
const COMPANY_SUFFIX = ['Works', 'Foods', 'Mills', 'Brothers', 'Company', 'Trading', 'Holdings', 'Foundry', 'and Sons', 'Supplies'];
const TOWN_SUFFIX = ['', '', '', 'ford', 'holm', 'wick', 'by', 'stead', 'mouth'];
const INSTRUMENT_SUFFIX = ['ophone', 'harp', 'lyn', 'ina', 'ola', 'drum', 'pipe', 'horn', 'flute', 'lute'];

const ONSETS = ['b', 'd', 'f', 'g', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'z', 'th', 'br', 'dr', 'kr', 'st', 'tr', 'gl', 'sh', 'h', 'j'];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'ae', 'ei', 'ou', 'y'];
const CODAS = ['', '', 'n', 'r', 'l', 's', 'th', 'm', 'k', 'nd', 'rn', 'sk', 'lt'];

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Invented word of `syllables` syllables, lowercase. */
function word(rng: Rng, syllables: number): string {
  let w = '';
  for (let i = 0; i < syllables; i++) w += rng.pick(ONSETS) + rng.pick(VOWELS) + (i === syllables - 1 || rng.next() < 0.4 ? rng.pick(CODAS) : '');
  return w;
}

/** n distinct invented words, none in `taken` (which they are added to). */
function words(n: number, taken: Set<string>, make: () => string): string[] {
  const out: string[] = [];
  for (let guard = 0; out.length < n && guard < n * 200; guard++) {
    const w = make();
    if (w.length < 3 || taken.has(w)) continue;
    taken.add(w);
    out.push(w);
  }
  if (out.length < n) throw new ConfigError(`could not invent ${n} distinct names: too many entities`);
  return out;
}

interface Entity {
  index: number;
  type: EntityType;
  /** Full name as written in passages ("Orin Dask", "Dask Works", "the vesk"). */
  name: string;
  /** Shorter forms a query may use instead ("Dask", "the Dask firm", "vesk"). */
  short: string[];
  /** How later sentences of its passages refer to it. */
  anaphor: Ref[];
  values: Record<string, string>;
}

interface Fact {
  entity: number;
  attr: string;
  /** Cue group of the phrasing the passage used. */
  group: string;
  passage: number;
}

// ---------------------------------------------------------------------------------------

/** Generates a world corpus. Same options and seed -> identical corpus. */
export function generateWorld(opts: WorldOptions = {}): Corpus {
  const preset = opts.preset ?? 'default';
  const base = worldPreset(preset).config;
  const cfg: WorldConfig = { ...base };
  for (const k of Object.keys(base) as (keyof WorldConfig)[]) if (opts[k] !== undefined) cfg[k] = opts[k]!;
  checkConfig(cfg);
  const seed = opts.seed ?? 1;
  const root = new Rng(seed);
  // Separate streams per stage, so a change to one stage shifts no other stage's draws.
  const nameRng = root.fork();
  const entityRng = root.fork();
  const passageRng = root.fork();
  const queryRng = root.fork();

  // --- Name pools. Persons draw first names and surnames from limited pools, and
  // companies reuse surnames, so names share parts as real ones do.
  const taken = new Set<string>();
  const pool = Math.max(10, cfg.namePool);
  const firstNames = words(pool, taken, () => cap(word(nameRng, 2)));
  const surnames = words(Math.round(pool * 1.5), taken, () => cap(word(nameRng, nameRng.next() < 0.5 ? 1 : 2)));
  const brandWords = words(pool, taken, () => cap(word(nameRng, 2)));
  const regionNames = words(14, taken, () => cap(word(nameRng, 1))).map((w, i) => `the ${w} ${REGION_KINDS[i % REGION_KINDS.length]}`);
  const riverNames = words(30, taken, () => cap(word(nameRng, 1))).map((w) => `the ${w}`);

  // --- Entities.
  const counts = TYPE_SHARE.map(([, share]) => Math.round(share * cfg.entities));
  const entities: Entity[] = [];
  const fullNames = new Set<string>();
  const townNames = words(counts[2], taken, () => cap(word(entityRng, entityRng.next() < 0.6 ? 1 : 2)) + entityRng.pick(TOWN_SUFFIX));
  const animalNames = words(counts[3], taken, () => word(entityRng, entityRng.next() < 0.5 ? 1 : 2));
  const instrumentNames = words(counts[4], taken, () => word(entityRng, 1) + entityRng.pick(INSTRUMENT_SUFFIX));
  const add = (type: EntityType, name: string, short: string[], anaphor: Ref[]) => {
    entities.push({ index: entities.length, type, name, short, anaphor, values: {} });
  };
  for (let i = 0; i < counts[0]; i++) {
    let first = '';
    let last = '';
    let tries = 0;
    do {
      if (tries++ > 10_000) throw new ConfigError(`namePool ${cfg.namePool} is too small for ${counts[0]} people`);
      first = entityRng.pick(firstNames);
      last = entityRng.pick(surnames);
    } while (fullNames.has(`${first} ${last}`));
    fullNames.add(`${first} ${last}`);
    const pronoun = entityRng.next() < 0.5 ? SHE : HE;
    add('person', `${first} ${last}`, [last, first], [pronoun, pronoun, nameRef(last)]);
  }
  for (let i = 0; i < counts[1]; i++) {
    let name = '';
    let stem = '';
    let tries = 0;
    do {
      if (tries++ > 10_000) throw new ConfigError(`namePool ${cfg.namePool} is too small for ${counts[1]} companies`);
      stem = entityRng.next() < 0.5 ? entityRng.pick(surnames) : entityRng.pick(brandWords);
      name = `${stem} ${entityRng.pick(COMPANY_SUFFIX)}`;
    } while (fullNames.has(name));
    fullNames.add(name);
    add('company', name, [stem, `the ${stem} company`, `the ${stem} firm`], ANAPHOR.company);
  }
  for (const t of townNames) add('town', t, [t], ANAPHOR.town);
  for (const a of animalNames) add('animal', `the ${a}`, [a], ANAPHOR.animal);
  for (const n of instrumentNames) add('instrument', `the ${n}`, [n], ANAPHOR.instrument);

  const ofType = (t: EntityType) => entities.filter((e) => e.type === t);
  const people = ofType('person');
  const towns = ofType('town');
  const valueOf = (kind: ValueKind, self: Entity): string => {
    switch (kind) {
      case 'town':
        return entityRng.pick(towns).name;
      case 'person': {
        let p: Entity;
        do p = entityRng.pick(people);
        while (p === self);
        return p.name;
      }
      case 'year':
        return String(1620 + entityRng.int(340));
      case 'profession':
        return entityRng.pick(PROFESSIONS);
      case 'product':
        return entityRng.pick(PRODUCTS);
      case 'region':
        return entityRng.pick(regionNames);
      case 'river':
        return entityRng.pick(riverNames);
      case 'color':
        return entityRng.pick(COLORS);
      case 'terrain':
        return entityRng.pick(TERRAINS);
      case 'food':
        return entityRng.pick(FOODS);
      case 'material':
        return entityRng.pick(MATERIALS);
      case 'count':
        return String(3 + entityRng.int(10));
    }
  };
  for (const e of entities) for (const a of SCHEMA[e.type]) e.values[a.key] = valueOf(a.value, e);

  // --- Passages, planned before they are written. Each entity's attributes are split
  // into passages of one or two facts; each fact picks a phrasing (cue group).
  interface Draft {
    subject: number; // -1 for news
    /** Sentences; facts and fillers first, relation sentences spliced in later. */
    sentences: string[];
    traps: number;
  }
  const drafts: Draft[] = [];
  const facts: Fact[] = [];
  const fill = (t: string, e: Ref, v = '') => sentence(subst(t, 'e', e).replace('{v}', v));
  // Facts by "type/attribute/cue group": where a trap for a query with that wording can go.
  const factsByCue = new Map<string, Fact[]>();
  for (const e of entities) {
    const attrs = passageRng.shuffle([...SCHEMA[e.type]]);
    for (let i = 0; i < attrs.length; ) {
      const size = i + 1 < attrs.length && passageRng.next() < 0.5 ? 2 : 1;
      const draft: Draft = { subject: e.index, sentences: [], traps: 0 };
      const passage = drafts.length;
      for (let j = 0; j < size; j++) {
        const a = attrs[i + j];
        const phrase = passageRng.pick(a.say);
        const ref = j === 0 || passageRng.next() < 0.3 ? nameRef(e.name) : passageRng.pick(e.anaphor);
        draft.sentences.push(fill(phrase.t, ref, e.values[a.key]));
        const fact = { entity: e.index, attr: a.key, group: phrase.g, passage };
        facts.push(fact);
        const key = `${e.type}/${a.key}/${phrase.g}`;
        factsByCue.set(key, [...(factsByCue.get(key) ?? []), fact]);
      }
      if (passageRng.next() < 0.5) draft.sentences.push(fill(passageRng.pick(FILLER[e.type]), passageRng.pick(e.anaphor)));
      drafts.push(draft);
      i += size;
    }
  }
  const relationSentence = (subject: Entity, other: Entity, rng: Rng): string | undefined => {
    const templates = RELATIONS[subject.type][other.type];
    if (!templates) return undefined;
    const a = rng.next() < 0.5 ? nameRef(subject.name) : rng.pick(subject.anaphor);
    return sentence(subst(rng.pick(templates), 'a', a).replace('{b}', other.name));
  };
  /** Puts a sentence after the first one, at a random place; false if the passage already says it. */
  const insert = (d: Draft, s: string, rng: Rng): boolean => {
    if (d.sentences.includes(s)) return false;
    d.sentences.splice(1 + rng.int(d.sentences.length), 0, s);
    return true;
  };

  // Background distractors: sentences naming other entities, mostly of the same type.
  for (const d of drafts) {
    const e = entities[d.subject];
    for (let nd = Math.floor(cfg.distractorRate) + (passageRng.next() < cfg.distractorRate % 1 ? 1 : 0); nd > 0; nd--) {
      const types = Object.keys(RELATIONS[e.type]) as EntityType[];
      const type = passageRng.next() < 0.6 ? e.type : passageRng.pick(types);
      let other: Entity;
      do other = passageRng.pick(ofType(type));
      while (other === e);
      const s = relationSentence(e, other, passageRng);
      if (s) insert(d, s, passageRng);
    }
  }

  // --- Queries: distinct (entity, attribute) pairs, dealt to test, dev, then train.
  const pairs = queryRng.shuffle([...facts]);
  const need = cfg.train + cfg.dev + cfg.test;
  if (pairs.length < need) {
    throw new ConfigError(`world has ${pairs.length} (entity, attribute) pairs, fewer than the ${need} queries asked; raise entities`);
  }
  interface Ask {
    fact: Fact;
    text: string;
  }
  const asks: Ask[] = [];
  for (let i = 0; i < need; i++) {
    const f = pairs[i];
    const e = entities[f.entity];
    const def = SCHEMA[e.type].find((a) => a.key === f.attr)!;
    // Reword at the synonym rate: a phrasing of another cue group (or query-only "x").
    const reword = queryRng.next() < cfg.synonymRate;
    let options = def.ask.filter((p) => (reword ? p.g !== f.group : p.g === f.group));
    if (options.length === 0) options = def.ask;
    const phrase = queryRng.pick(options);
    let text = subst(phrase.t, 'e', nameRef(queryRng.next() < cfg.paraphraseNoise ? queryRng.pick(e.short) : e.name));
    text = noisy(text, queryRng, cfg.paraphraseNoise, e);
    asks.push({ fact: f, text });
    // Lexical traps: another entity's passage that states the same attribute with the
    // query's own words also names this entity (in a relation sentence). BM25 sees the
    // query's name and cue words there; the relevant passage may have only the name.
    for (let t = Math.floor(cfg.trapRate) + (queryRng.next() < cfg.trapRate % 1 ? 1 : 0); t > 0; t--) {
      const candidates = factsByCue.get(`${e.type}/${f.attr}/${phrase.g}`)?.filter((x) => x.entity !== e.index && drafts[x.passage].traps < MAX_TRAPS);
      if (!candidates?.length) break;
      const host = queryRng.pick(candidates);
      const s = relationSentence(entities[host.entity], e, queryRng);
      if (!s) break;
      if (insert(drafts[host.passage], s, queryRng)) drafts[host.passage].traps++;
    }
  }

  // News: passages about several entities at once that state no attribute.
  const nNews = Math.round(cfg.newsRate * drafts.length);
  for (let i = 0; i < nNews; i++) {
    const town = passageRng.pick(towns).name;
    const [a, b, c] = [passageRng.pick(entities), passageRng.pick(entities), passageRng.pick(entities)];
    const sentences = [0, 1].map(() =>
      sentence(
        passageRng
          .pick(NEWS)
          .replace('{year}', String(1620 + passageRng.int(340)))
          .replace('{town}', town)
          .replace('{a}', passageRng.next() < 0.5 ? a.name : c.name)
          .replace('{b}', b.name)
          .replace('{c}', c.name)
          .replace('{profession}', passageRng.pick(PROFESSIONS)),
      ),
    );
    drafts.push({ subject: -1, sentences: [...new Set(sentences)], traps: 0 });
  }

  // Shuffle so an entity's passages are not neighbours (ties break by corpus order).
  // No titles: a title holding the subject's name would make name matching trivial.
  const order = passageRng.shuffle(drafts.map((_, i) => i));
  const position = new Int32Array(drafts.length);
  order.forEach((d, pos) => (position[d] = pos));
  const docs: Doc[] = order.map((d, pos) => ({ id: `p${pos + 1}`, title: '', text: drafts[d].sentences.join(' ') }));
  const passagesOf = new Map<number, number[]>();
  drafts.forEach((d, i) => {
    if (d.subject >= 0) passagesOf.set(d.subject, [...(passagesOf.get(d.subject) ?? []), position[i]]);
  });

  const queries: Query[] = [];
  const qrels: Record<Split, Qrel[]> = { train: [], dev: [], test: [] };
  const splitOf = (i: number): Split => (i < cfg.test ? 'test' : i < cfg.test + cfg.dev ? 'dev' : 'train');
  asks.forEach(({ fact, text }, i) => {
    const id = `q${i + 1}`;
    queries.push({ id, text });
    const split = splitOf(i);
    const pos = position[fact.passage];
    qrels[split].push({ qid: id, docId: docs[pos].id, rel: 2 });
    for (const p of passagesOf.get(fact.entity)!) if (p !== pos) qrels[split].push({ qid: id, docId: docs[p].id, rel: 1 });
  });
  return { name: `world:${preset}`, docs, queries, qrels };
}

function checkConfig(c: WorldConfig): void {
  const bad = (k: keyof WorldConfig, why: string) => {
    throw new ConfigError(`world option ${k} = ${c[k]}: ${why}`, { option: k, value: c[k] });
  };
  for (const k of ['entities', 'train', 'dev', 'test', 'namePool'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 0) bad(k, 'must be a non-negative integer');
  }
  if (c.entities < 20) bad('entities', 'must be at least 20');
  for (const k of ['synonymRate', 'paraphraseNoise'] as const) if (!(c[k] >= 0 && c[k] <= 1)) bad(k, 'must be in [0, 1]');
  for (const k of ['newsRate', 'distractorRate', 'trapRate'] as const) if (!(c[k] >= 0 && c[k] <= 10)) bad(k, 'must be in [0, 10]');
}

/** Surface noise on a query: reordering, filler words, a typo, dropped punctuation. */
function noisy(text: string, rng: Rng, rate: number, e: Entity): string {
  let t = text;
  // Reorder a keyword query or put the entity first ("X: where was it born" style).
  if (rng.next() < rate) {
    const words = t.replace(/\?$/, '').split(' ');
    if (!t.endsWith('?') && words.length > 1) t = [...words.slice(-1), ...words.slice(0, -1)].join(' ');
  }
  if (rng.next() < rate) t = rng.next() < 0.5 ? `${rng.pick(FILLERS_BEFORE)} ${t}` : `${t.replace(/\?$/, '')} ${rng.pick(FILLERS_AFTER)}`;
  if (rng.next() < rate) {
    // A typo in a word that is not part of the entity's name (names stay matchable).
    const nameWords = new Set([e.name, ...e.short].join(' ').toLowerCase().split(' '));
    const words = t.split(' ');
    const candidates = words.map((w, i) => [w, i] as const).filter(([w]) => w.length > 4 && /^[a-z]+$/i.test(w) && !nameWords.has(w.toLowerCase()));
    if (candidates.length > 0) {
      const [w, i] = rng.pick(candidates);
      const j = 1 + rng.int(w.length - 2);
      words[i] = w.slice(0, j) + w[j + 1] + w[j] + w.slice(j + 2);
      t = words.join(' ');
    }
  }
  if (rng.next() < rate) t = t.replace(/\?$/, '');
  return cap(t);
}

/** The presets with one-line descriptions, for the UI. */
export function listWorldPresets(): { id: WorldPreset; label: string; description: string }[] {
  return WORLD_PRESETS.map(({ id, label, description }) => ({ id, label, description }));
}
