/**
 * GET /lab/:labId/files/<path>: the images a lab's instructions show, from the lab folder. Only image
 * files (png, jpg/jpeg, gif, webp, svg) are served: a lab folder also holds check scripts, the template
 * and lab.yaml, which must never reach a browser. Refused: dot segments and hidden files, paths or
 * symlinks that lead out of the lab folder, anything that is not a regular file. A hidden lab's images
 * need the access token its rendered instructions carry (lab-file-access.ts).
 * Every answer has nosniff and a CSP without script (an SVG opened on its own cannot run any).
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app/context.ts';
import type { Lab } from '../../domain/lab.ts';
import { AppError } from '../../errors/api-errors.ts';
import { labFileAccessRefusal } from '../lab-file-access.ts';
import { sentence } from '../../errors/sentence.ts';

const IMAGE_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.svg': 'image/svg+xml',
};

/** An SVG may carry script and styles; as an <img> it runs none, opened directly this CSP stops it. */
const FILE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox";
const CACHE_SECONDS = 300;
const ONLY_IMAGES = sentence('error.NOT_FOUND.onlyImages');

/** The URL path of a lab's file, as the rendered instructions link it. */
export function labFileUrl(labId: string, path: string): string {
  return `/lab/${encodeURIComponent(labId)}/files/${path}`;
}

/** The file's path inside the lab folder, checked: throws for anything that is not a plain image path. */
function checkedImagePath(raw: string): string {
  const segments = raw.split('/');
  if (!raw || raw.length > 500 || /[\0\\]/.test(raw) || segments.some((s) => s === '' || s.startsWith('.'))) {
    throw new AppError('BAD_REQUEST', `lab file path '${raw.slice(0, 100)}'`, { message: sentence('error.BAD_REQUEST.labFilePath') });
  }
  if (!IMAGE_TYPES[extname(raw).toLowerCase()]) throw new AppError('NOT_FOUND', `lab file '${raw}' is not an image`, { message: ONLY_IMAGES });
  return raw;
}

/** The real path of an image in the lab folder; NOT_FOUND when missing, outside the folder, or not a file. */
async function resolveImage(lab: Lab, path: string): Promise<{ file: string; type: string; size: number; mtimeMs: number }> {
  const missing = (why: string) => new AppError('NOT_FOUND', `lab ${lab.id} file '${path}': ${why}`, { message: sentence('error.NOT_FOUND.noSuchImage') });
  let root: string;
  let file: string;
  try {
    root = await realpath(lab.dir);
    file = await realpath(join(root, path));
  } catch {
    throw missing('not found');
  }
  if (!file.startsWith(root + sep)) throw missing('a symlink leads out of the lab folder');
  // A link inside the folder must still end at an image, never at a script renamed by a link.
  const type = IMAGE_TYPES[extname(file).toLowerCase()];
  if (!type) throw missing('a symlink leads to a file that is not an image');
  const info = await stat(file);
  if (!info.isFile()) throw missing('not a regular file');
  return { file, type, size: info.size, mtimeMs: info.mtimeMs };
}

export function labFiles(ctx: AppContext) {
  return async function labFilesPlugin(app: FastifyInstance): Promise<void> {
    app.get<{ Params: { labId: string; '*': string }; Querystring: { access?: string } }>(
      '/lab/:labId/files/*',
      { schema: { hide: true } },
      async (request, reply) => {
        const lab = ctx.labs.get(request.params.labId);
        if (!lab) throw new AppError('LAB_NOT_FOUND', `lab '${request.params.labId}'`);
        const path = checkedImagePath(request.params['*']);
        if (lab.hidden) {
          const refusal = await labFileAccessRefusal(ctx.keys, request.query.access, lab.id);
          if (refusal) throw new AppError('FORBIDDEN', `lab ${lab.id} is hidden: ${refusal}`, { message: sentence('error.FORBIDDEN.hiddenLab') });
        }
        const image = await resolveImage(lab, path);
        const etag = `W/"${image.size.toString(36)}-${Math.floor(image.mtimeMs).toString(36)}"`;
        reply
          .header('x-content-type-options', 'nosniff')
          .header('content-security-policy', FILE_CSP)
          .header('cross-origin-resource-policy', 'same-origin')
          .header('cache-control', `${lab.hidden ? 'private' : 'public'}, max-age=${CACHE_SECONDS}`)
          .header('etag', etag);
        if (request.headers['if-none-match'] === etag) return reply.status(304).send();
        return reply
          .type(image.type)
          .header('content-length', image.size)
          .send(createReadStream(image.file));
      },
    );
  };
}
