/**
 * A deterministic, realistic-looking content catalogue for the search benchmark: titles built from
 * show names, formats and topics; descriptions of 25–90 words drawn by Zipf's law from a 20,000-word
 * vocabulary (a few words are everywhere, most are rare, as in real text); 1–3 categories; a skewed
 * language mix; 60 % video;
 * publication dates over six years, 3 % unpublished-dated. The same seed gives the same corpus.
 */
import type { SearchDocument } from '../../packages/domain/src/discovery/search-port.ts';

const TOPICS = (
  'jazz podcast history science football cooking travel interview climate economy politics ' +
  'design architecture photography gardening astronomy medicine chemistry philosophy poetry ' +
  'cinema theatre opera guitar piano violin electronics robotics programming database ' +
  'security startup marketing finance investing parenting fitness yoga meditation nutrition ' +
  'baking coffee wine cycling running sailing mountains oceans wildlife birds insects ' +
  'forests volcanoes earthquakes weather energy solar batteries cars trains aviation ' +
  'rockets satellites mathematics statistics language linguistics grammar novels comics ' +
  'animation gaming chess tennis basketball swimming olympics fashion textiles pottery ' +
  'sculpture painting museums archaeology genealogy mythology religion ethics law justice ' +
  'education teaching children ageing housing cities villages farming fishing recipes ' +
  'festivals dance hiphop classical'
).split(' ');
const FORMATS = (
  'podcast|episode|lecture|documentary|interview|live session|tutorial|review|talk|panel|' +
  'walkthrough|masterclass|report|story|conversation|mix'
).split('|');
const SHOWS = (
  'Weekly|Morning|Late Night|Deep Dive|Field Notes|Open Studio|The Long Read|Inside|' +
  'Behind the Scenes|Sunday|Backstage|First Principles|Street Level|Slow'
).split('|');
const FILLER = (
  'the and of with a in on for to how why what from about new old best guide notes ideas ' +
  'people world life time year part series special edition classic modern future past small ' +
  'great hidden secret simple practical complete beginners experts friends family home city ' +
  'country music sound voice light water night morning summer winter journey questions ' +
  'answers lessons stories voices moments roots'
).split(' ');
const NAMES = (
  'Ada Grace Alan Miles Nina Ravi Leila Omar Sofia Kenji Amara Lukas Ines Tariq Mei Jonas ' +
  'Chloé Mateo Yara Emil Zanele Arash Björn Noor'
).split(' ');
const SURNAMES = (
  'Lovelace Hopper Turing Davis Simone Shankar Haddad Farouk Rossi Tanaka Okafor Becker ' +
  'Costa Rahimi Chen Lindqvist Dubois García Mansour Novak'
).split(' ');
const CATEGORIES = (
  'Music News Science Sports Food Travel Education Technology Arts History Business Health ' +
  'Nature Culture Kids Comedy Society Religion Gaming Film Literature Design Politics ' +
  'Economy Environment Fashion Language Philosophy Space Automotive Parenting Fitness ' +
  'Crafts Home Law Media Careers Pets Local Events'
).split(' ');
/** Weighted language mix (BCP-47 tags as contents carry them). */
const LANGUAGES: Array<[string, number]> = [
  ['en', 55],
  ['de', 10],
  ['fr', 10],
  ['es', 10],
  ['fa', 5],
  ['it', 5],
  ['ja', 3],
  ['pt-BR', 2],
];
const SIX_YEARS_MS = 6 * 365 * 24 * 3600 * 1000;
export const CORPUS_END = Date.parse('2026-12-01T00:00:00Z');

/** mulberry32: small, fast, and good enough to make a corpus reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What the benchmark's queries are made of: topics in order of popularity, categories, languages. */
export function queryVocabulary() {
  return { topics: TOPICS, categories: CATEGORIES, languages: LANGUAGES.map(([tag]) => tag) };
}

/** A long tail of rarer words (as real text has), made of syllables so they read like words. */
function tailVocabulary(random: () => number, size: number): string[] {
  const syllables = 'ka,ri,mo,te,lu,sa,ven,dor,pi,na,gol,the,ru,mi,sto,ble,an,cor,ix,e'.split(',');
  const words = new Set<string>();
  while (words.size < size) {
    let word = '';
    const count = 2 + Math.floor(random() * 3);
    for (let i = 0; i < count; i++) word += syllables[Math.floor(random() * syllables.length)];
    words.add(word);
  }
  return [...words];
}

export function corpusGenerator(seed = 42) {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  // Zipf's law (s = 1): the word of rank k is drawn with probability ∝ 1/k — index = n^u - 1.
  const zipf = <T>(items: readonly T[]): T =>
    items[Math.min(items.length - 1, Math.floor((items.length + 1) ** random()) - 1)] as T;
  // A milder skew for title topics: the most common is in about 5 % of titles.
  const skewed = <T>(items: readonly T[]): T => items[Math.floor(items.length * random() ** 1.5)] as T;
  // One vocabulary ranked as real text is: function words first, then common words, the topics
  // further down, then the long tail. A topic word ends up in 2–7 % of the documents (title
  // included), the commonest filler words in most of them.
  const tail = tailVocabulary(random, 20_000);
  const vocabulary = [...FILLER, ...tail.slice(0, 200), ...TOPICS, ...tail.slice(200)];
  const language = () => {
    let roll = random() * 100;
    for (const [tag, weight] of LANGUAGES) {
      roll -= weight;
      if (roll < 0) return tag;
    }
    return 'en';
  };
  const uuid = (n: number, kind: number) =>
    `00000000-0000-4000-8${kind.toString(16).padStart(3, '0')}-${n.toString(16).padStart(12, '0')}`;
  const capitalised = (word: string) => `${word[0]?.toUpperCase()}${word.slice(1)}`;

  return {
    uuid,
    document(orgId: string, n: number): SearchDocument {
      const topic = skewed(TOPICS);
      const format = pick(FORMATS);
      const title =
        random() < 0.5
          ? `${pick(SHOWS)} ${capitalised(topic)} ${format} ${1 + Math.floor(random() * 200)}: ${zipf(vocabulary)} ${zipf(vocabulary)}`
          : `${pick(NAMES)} ${pick(SURNAMES)} on ${topic} and ${skewed(TOPICS)} — ${format}`;
      const words: string[] = [];
      const length = 25 + Math.floor(random() * 65);
      for (let i = 0; i < length; i++) words.push(zipf(vocabulary));
      const categories = new Set<string>();
      const categoryCount = 1 + Math.floor(random() * 3);
      while (categories.size < categoryCount) categories.add(skewed(CATEGORIES));
      return {
        id: uuid(n, 1),
        orgId,
        title,
        description: `${words.join(' ')}.`,
        categories: [...categories],
        mediaType: random() < 0.6 ? 'video' : 'audio',
        language: language(),
        publicationDate: random() < 0.03 ? null : new Date(CORPUS_END - Math.floor(random() * SIX_YEARS_MS)),
        authorName: `${pick(NAMES)} ${pick(SURNAMES)}`,
      };
    },
  };
}
