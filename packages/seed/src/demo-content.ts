import type { Database } from '@atrium/db';
import type { Session } from '@atrium/domain/access/session';
import { createContent } from '@atrium/domain/content/content';
import { ContentPublished } from '@atrium/domain/content/events';
import { writeContentEvent } from '@atrium/domain/content/store';
import type { Transaction } from 'kysely';

const CATEGORIES = ['Architecture', 'Music', 'Talks', 'Nature', 'Cooking', 'Science', 'History'] as const;
type Category = (typeof CATEGORIES)[number];

interface DemoItem {
  title: string;
  description: string;
  language: string;
  categories: Category[];
  media: 'video' | 'audio';
  minutes: number;
}

/** ~50 pieces across categories, languages and both media types, so the Library is alive at once. */
const ITEMS: DemoItem[] = [
  {
    title: 'Morning light over the harbour',
    description: 'A slow film about fishing boats leaving at dawn.',
    language: 'en',
    categories: ['Nature'],
    media: 'video',
    minutes: 12,
  },
  {
    title: 'The lighthouse keeper podcast, episode 1',
    description: 'Stories of the people who kept the coast lit.',
    language: 'en',
    categories: ['History', 'Talks'],
    media: 'audio',
    minutes: 38,
  },
  {
    title: 'The lighthouse keeper podcast, episode 2',
    description: 'Storms, shipwrecks and a cat named Fog.',
    language: 'en',
    categories: ['History', 'Talks'],
    media: 'audio',
    minutes: 41,
  },
  {
    title: 'Brutalism in ten buildings',
    description: 'Concrete, light and the architects who loved both.',
    language: 'en',
    categories: ['Architecture'],
    media: 'video',
    minutes: 24,
  },
  {
    title: 'How a vaulted ceiling stands up',
    description: 'Arches, thrust and the maths behind cathedral roofs.',
    language: 'en',
    categories: ['Architecture', 'Science'],
    media: 'video',
    minutes: 16,
  },
  {
    title: 'Sourdough from scratch',
    description: 'Feeding a starter, folding, proofing and baking.',
    language: 'en',
    categories: ['Cooking'],
    media: 'video',
    minutes: 22,
  },
  {
    title: 'A week of one-pot dinners',
    description: 'Seven weeknight meals, one pot each.',
    language: 'en',
    categories: ['Cooking'],
    media: 'video',
    minutes: 31,
  },
  {
    title: 'Lo-fi beats for the reading room',
    description: 'An hour of calm instrumental music.',
    language: 'en',
    categories: ['Music'],
    media: 'audio',
    minutes: 60,
  },
  {
    title: 'Jazz standards on the lobby piano',
    description: 'Recorded live in the atrium on a rainy Friday.',
    language: 'en',
    categories: ['Music'],
    media: 'audio',
    minutes: 44,
  },
  {
    title: 'Why the sky is blue',
    description: 'Rayleigh scattering explained with a fish tank and a torch.',
    language: 'en',
    categories: ['Science'],
    media: 'video',
    minutes: 9,
  },
  {
    title: 'Volcanoes of the Pacific ring',
    description: 'Plates, magma and the islands they build.',
    language: 'en',
    categories: ['Science', 'Nature'],
    media: 'video',
    minutes: 27,
  },
  {
    title: 'Birdsong at the city edge',
    description: 'A dawn chorus recorded in the park behind the building.',
    language: 'en',
    categories: ['Nature', 'Music'],
    media: 'audio',
    minutes: 18,
  },
  {
    title: 'The history of the printing press',
    description: 'From Gutenberg to the office laser printer.',
    language: 'en',
    categories: ['History'],
    media: 'video',
    minutes: 35,
  },
  {
    title: 'Designing for daylight',
    description: 'A talk on windows, atria and how light changes how we work.',
    language: 'en',
    categories: ['Architecture', 'Talks'],
    media: 'video',
    minutes: 48,
  },
  {
    title: 'Keynote: the future of shared workplaces',
    description: 'What offices are for when work can happen anywhere.',
    language: 'en',
    categories: ['Talks'],
    media: 'video',
    minutes: 52,
  },
  {
    title: 'A podcast about podcasts',
    description: 'How audio storytelling works, told by people who make it.',
    language: 'en',
    categories: ['Talks'],
    media: 'audio',
    minutes: 47,
  },
  {
    title: 'Tidal mills of the north coast',
    description: 'Restoring a mill that ran on the sea.',
    language: 'en',
    categories: ['History', 'Architecture'],
    media: 'video',
    minutes: 21,
  },
  {
    title: 'Street food of Lisbon',
    description: 'Bifanas, pastéis and a tram ride between them.',
    language: 'en',
    categories: ['Cooking'],
    media: 'video',
    minutes: 19,
  },
  {
    title: 'Ambient rain on a glass roof',
    description: 'Ninety minutes of rain to focus by.',
    language: 'en',
    categories: ['Nature', 'Music'],
    media: 'audio',
    minutes: 90,
  },
  {
    title: 'The physics of a guitar string',
    description: 'Harmonics, tension and why frets sit where they do.',
    language: 'en',
    categories: ['Science', 'Music'],
    media: 'video',
    minutes: 14,
  },
  {
    title: 'Bauhaus: Form folgt Funktion',
    description: 'Eine kurze Geschichte der Bauhaus-Architektur in Dessau.',
    language: 'de',
    categories: ['Architecture', 'History'],
    media: 'video',
    minutes: 29,
  },
  {
    title: 'Brot backen wie beim Bäcker',
    description: 'Roggenbrot mit Sauerteig, Schritt für Schritt.',
    language: 'de',
    categories: ['Cooking'],
    media: 'video',
    minutes: 25,
  },
  {
    title: 'Der Wald im Winter',
    description: 'Spuren im Schnee und Tiere, die nicht schlafen.',
    language: 'de',
    categories: ['Nature'],
    media: 'video',
    minutes: 33,
  },
  {
    title: 'Klassik am Mittag',
    description: 'Kammermusik aus dem Foyer, live aufgenommen.',
    language: 'de',
    categories: ['Music'],
    media: 'audio',
    minutes: 55,
  },
  {
    title: 'Wie funktioniert ein Kühlschrank?',
    description: 'Thermodynamik in der Küche erklärt.',
    language: 'de',
    categories: ['Science'],
    media: 'video',
    minutes: 11,
  },
  {
    title: 'Gespräche über Arbeit',
    description: 'Ein Podcast über Büros, Teams und Pausen.',
    language: 'de',
    categories: ['Talks'],
    media: 'audio',
    minutes: 42,
  },
  {
    title: 'Les cathédrales gothiques',
    description: 'Comment les bâtisseurs du Moyen Âge ont touché le ciel.',
    language: 'fr',
    categories: ['Architecture', 'History'],
    media: 'video',
    minutes: 37,
  },
  {
    title: 'La cuisine provençale',
    description: 'Ratatouille, tapenade et pistou au marché.',
    language: 'fr',
    categories: ['Cooking'],
    media: 'video',
    minutes: 23,
  },
  {
    title: 'Chansons du port',
    description: 'Chants de marins enregistrés au café du port.',
    language: 'fr',
    categories: ['Music'],
    media: 'audio',
    minutes: 36,
  },
  {
    title: 'Les volcans d’Auvergne',
    description: 'Une promenade géologique dans la chaîne des Puys.',
    language: 'fr',
    categories: ['Nature', 'Science'],
    media: 'video',
    minutes: 28,
  },
  {
    title: 'Conférence : la lumière naturelle au bureau',
    description: 'Architecture, santé et productivité.',
    language: 'fr',
    categories: ['Architecture', 'Talks'],
    media: 'video',
    minutes: 45,
  },
  {
    title: 'Historias del Mediterráneo',
    description: 'Un pódcast sobre puertos, barcos y comercio antiguo.',
    language: 'es',
    categories: ['History', 'Talks'],
    media: 'audio',
    minutes: 39,
  },
  {
    title: 'Paella valenciana auténtica',
    description: 'El arroz, el fuego y el socarrat.',
    language: 'es',
    categories: ['Cooking'],
    media: 'video',
    minutes: 20,
  },
  {
    title: 'Gaudí y la naturaleza',
    description: 'Las formas naturales en la arquitectura de Barcelona.',
    language: 'es',
    categories: ['Architecture', 'Nature'],
    media: 'video',
    minutes: 26,
  },
  {
    title: 'Guitarra flamenca en el patio',
    description: 'Una tarde de flamenco grabada en directo.',
    language: 'es',
    categories: ['Music'],
    media: 'audio',
    minutes: 32,
  },
  {
    title: 'El universo en una taza de café',
    description: 'Física cotidiana explicada en la cafetería.',
    language: 'es',
    categories: ['Science'],
    media: 'video',
    minutes: 15,
  },
  {
    title: 'Bossa nova no átrio',
    description: 'Um fim de tarde de bossa nova ao vivo.',
    language: 'pt-BR',
    categories: ['Music'],
    media: 'audio',
    minutes: 40,
  },
  {
    title: 'Arquitetura modernista de Brasília',
    description: 'Niemeyer, Lúcio Costa e a cidade planejada.',
    language: 'pt-BR',
    categories: ['Architecture', 'History'],
    media: 'video',
    minutes: 34,
  },
  {
    title: 'Feijoada passo a passo',
    description: 'O prato de sábado, do feijão à farofa.',
    language: 'pt-BR',
    categories: ['Cooking'],
    media: 'video',
    minutes: 27,
  },
  {
    title: 'Amazônia: a floresta que respira',
    description: 'Rios voadores e o clima do planeta.',
    language: 'pt-BR',
    categories: ['Nature', 'Science'],
    media: 'video',
    minutes: 43,
  },
  {
    title: 'Conversas sobre trabalho remoto',
    description: 'Um podcast sobre equipes espalhadas pelo mundo.',
    language: 'pt-BR',
    categories: ['Talks'],
    media: 'audio',
    minutes: 37,
  },
  {
    title: 'Stone circles and the solstice',
    description: 'What ancient builders knew about the sun.',
    language: 'en',
    categories: ['History', 'Science'],
    media: 'video',
    minutes: 30,
  },
  {
    title: 'Field recordings: the marsh at night',
    description: 'Frogs, wind and distant trains.',
    language: 'en',
    categories: ['Nature'],
    media: 'audio',
    minutes: 25,
  },
  {
    title: 'Knife skills for beginners',
    description: 'Dicing, slicing and keeping your fingers.',
    language: 'en',
    categories: ['Cooking'],
    media: 'video',
    minutes: 13,
  },
  {
    title: 'Timber towers: building tall with wood',
    description: 'Cross-laminated timber and the new skyline.',
    language: 'en',
    categories: ['Architecture', 'Science'],
    media: 'video',
    minutes: 28,
  },
  {
    title: 'The quiet hour: piano improvisations',
    description: 'Unhurried piano for the end of the day.',
    language: 'en',
    categories: ['Music'],
    media: 'audio',
    minutes: 58,
  },
  {
    title: 'Panel: accessibility in building design',
    description: 'Ramps are the start, not the end.',
    language: 'en',
    categories: ['Architecture', 'Talks'],
    media: 'video',
    minutes: 61,
  },
  {
    title: 'Draft: interview with the facilities team',
    description: 'Rough cut, not ready yet.',
    language: 'en',
    categories: ['Talks'],
    media: 'video',
    minutes: 17,
  },
  {
    title: 'Draft: rooftop garden time-lapse',
    description: 'Still colour-grading this one.',
    language: 'en',
    categories: ['Nature'],
    media: 'video',
    minutes: 4,
  },
  {
    title: 'Draft: choir rehearsal',
    description: 'Needs a better mix before publishing.',
    language: 'en',
    categories: ['Music'],
    media: 'audio',
    minutes: 21,
  },
];

/** A provider address per item: YouTube ids (11 characters), Vimeo numbers and SoundCloud paths. */
function mediaUrl(item: DemoItem, index: number): string {
  if (item.media === 'audio') return `https://soundcloud.com/atrium-demo/track-${index + 1}`;
  if (index % 3 === 0) return `https://vimeo.com/${700000000 + index}`;
  return `https://www.youtube.com/watch?v=atrDemo${String(index).padStart(4, '0')}`;
}

/**
 * Seeds the demo library (once: only when the org has no content yet), through the content module's
 * create flow, so every piece has its ContentCreated (and ContentPublished) event and the worker
 * indexes them on the first `pnpm dev`. Items whose title starts with "Draft:" stay drafts.
 */
export async function seedDemoContent(
  trx: Transaction<Database>,
  orgId: string,
  authorId: string,
): Promise<number> {
  const existing = await trx
    .selectFrom('contents')
    .select('id')
    .where('org_id', '=', orgId)
    .limit(1)
    .executeTakeFirst();
  if (existing) return 0;
  const categoryIds = new Map<string, string>();
  for (const name of CATEGORIES) {
    const row = await trx
      .insertInto('categories')
      .values({ org_id: orgId, name })
      .onConflict((oc) => oc.doNothing())
      .returning('id')
      .executeTakeFirst();
    const id =
      row?.id ??
      (
        await trx
          .selectFrom('categories')
          .select('id')
          .where('org_id', '=', orgId)
          .where('name', '=', name)
          .executeTakeFirstOrThrow()
      ).id;
    categoryIds.set(name, id);
  }
  const seeder: Session = {
    userId: authorId,
    orgId,
    roles: ['creator'],
    permissions: new Set(['content.write']),
    platformRole: null,
    permissionVersion: 0,
  };
  const day = 24 * 60 * 60 * 1000;
  for (const [index, item] of ITEMS.entries()) {
    const view = await createContent(
      { db: trx },
      seeder,
      {
        title: item.title,
        description: item.description,
        language: item.language,
        durationSeconds: item.minutes * 60,
        publicationDate: new Date(Date.now() - (index + 1) * 3 * day),
        categoryIds: item.categories.map((name) => categoryIds.get(name) as string),
        media: { mediaType: item.media, externalUrl: mediaUrl(item, index) },
      },
      { trx },
    );
    if (item.title.startsWith('Draft:')) continue;
    const version = view.version + 1;
    await trx
      .updateTable('contents')
      .set({ status: 'published', version, updated_at: new Date() })
      .where('id', '=', view.id)
      .execute();
    await writeContentEvent(trx, orgId, ContentPublished, view.id, version);
  }
  return ITEMS.length;
}
