/**
 * Pseudo-locales for tests: every message comes out wrapped in ⟦ ⟧ with its letters accented and about a
 * third longer, so a page test can find text that did not come from the catalogue (no markers) and layout
 * that breaks when a translation is longer than English. `ar-XB` is the same text laid out right to left.
 * Only the literal text is changed; arguments, plurals and selects keep working.
 */
import IntlMessageFormat from 'intl-messageformat';

export const PSEUDO_LOCALES = ['en-XA', 'ar-XB'] as const;
export const OPEN_MARK = '⟦';
export const CLOSE_MARK = '⟧';

type Ast = ReturnType<IntlMessageFormat['getAst']>;

const ACCENTED: Record<string, string> = {
  a: 'á', b: 'ƀ', c: 'ç', d: 'ð', e: 'é', f: 'ƒ', g: 'ĝ', h: 'ĥ', i: 'í', j: 'ĵ', k: 'ķ', l: 'ļ', m: 'ɱ',
  n: 'ñ', o: 'ö', p: 'þ', q: 'ǫ', r: 'ŕ', s: 'š', t: 'ţ', u: 'ü', v: 'ṽ', w: 'ŵ', x: 'ẋ', y: 'ý', z: 'ž',
  A: 'Å', B: 'Ɓ', C: 'Ç', D: 'Ð', E: 'É', F: 'Ƒ', G: 'Ĝ', H: 'Ĥ', I: 'Î', J: 'Ĵ', K: 'Ķ', L: 'Ļ', M: 'Ṁ',
  N: 'Ñ', O: 'Ö', P: 'Þ', Q: 'Ǫ', R: 'Ŕ', S: 'Š', T: 'Ţ', U: 'Û', V: 'Ṽ', W: 'Ŵ', X: 'Ẋ', Y: 'Ý', Z: 'Ž',
};

export function isPseudoLocale(locale: string): boolean {
  return (PSEUDO_LOCALES as readonly string[]).includes(locale);
}

function accent(text: string): string {
  return text.replace(/[A-Za-z]/g, (c) => ACCENTED[c] ?? c);
}

/** The message's AST with every literal accented (plural and select branches and rich-text tags included). */
export function pseudoAst(ast: Ast): Ast {
  return ast.map((element) => {
    const copy = { ...element } as Record<string, unknown>;
    if (element.type === 0) copy.value = accent(element.value);
    if ('options' in element && element.options && typeof element.options === 'object') {
      copy.options = Object.fromEntries(Object.entries(element.options as Record<string, { value: Ast }>).map(([key, option]) => [key, { ...option, value: pseudoAst(option.value) }]));
    }
    if ('children' in element && Array.isArray(element.children)) copy.children = pseudoAst(element.children as Ast);
    return copy as unknown as Ast[number];
  });
}

/** The formatted text in markers, padded by a third of its length (translations run longer than English). */
export function pseudoWrap(text: string): string {
  return `${OPEN_MARK}${text}${'·'.repeat(Math.ceil(text.length / 3))}${CLOSE_MARK}`;
}
