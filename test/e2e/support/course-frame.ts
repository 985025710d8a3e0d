/**
 * A stand-in for an LMS course page that shows the lab page inline, as an LTI launch does: another site
 * (http://localhost:PORT framing http://127.0.0.1:PORT) and an iframe with no `allow` attribute, so the
 * lab gets no clipboard permission from its parent: the strictest frame a course page can give.
 * The frame fills the page from its top-left corner, so page and frame coordinates are the same.
 */
import { createServer } from 'node:http';

export interface CourseFrame {
  /** The course page's origin: the lab's server must list it in `frame_ancestors`, as an operator would. */
  origin: string;
  /** Puts the lab page in the course page's frame; the course page's address. */
  show(labUrl: string): string;
  close(): Promise<void>;
}

function attribute(value: string): string {
  return value.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;');
}

/** Started before the lab's server, so that the server can be told the course page's origin. */
export async function courseFrame(): Promise<CourseFrame> {
  let labUrl = 'about:blank';
  const server = createServer((_request, response) => {
    response.setHeader('content-type', 'text/html; charset=utf-8');
    response.end(
      '<!doctype html><title>Course</title><body style="margin:0">' +
        `<iframe src="${attribute(labUrl)}" style="border:0;display:block;width:100vw;height:100vh"></iframe>`,
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const origin = `http://localhost:${port}`;
  return {
    origin,
    show(url) {
      labUrl = url;
      return `${origin}/`;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
