// Which images are already on the engine, by reference (one inspect per distinct reference, in parallel).
// Never pulls: making a missing image is src/engine/images.ts's job, which `up` calls only when needed.
import type { EngineReader } from './light.js';

export interface PresentImage {
  id: string;
  lastTagTime?: Date;
}

export async function presentImages(
  engine: EngineReader,
  refs: Iterable<string>,
): Promise<Map<string, PresentImage | undefined>> {
  const unique = [...new Set(refs)];
  const found = await Promise.all(
    unique.map(async (ref) => {
      try {
        const info = (await engine.getImage(ref).inspect()) as unknown as {
          Id: string;
          Metadata?: { LastTagTime?: string };
        };
        const t = info.Metadata?.LastTagTime;
        return { id: info.Id, lastTagTime: t && !t.startsWith('0001-') ? new Date(t) : undefined };
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 404) return undefined;
        throw err;
      }
    }),
  );
  return new Map(unique.map((r, i) => [r, found[i]]));
}
