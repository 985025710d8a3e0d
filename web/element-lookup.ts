/**
 * The pages find their fixed elements by id at start-up; a missing one is a page shell out of step with
 * its script, so it fails at once with the page and the id rather than later as a null.
 */
export function elementLookup(page: string): <T extends HTMLElement = HTMLElement>(id: string) => T {
  return <T extends HTMLElement = HTMLElement>(id: string): T => {
    const found = document.getElementById(id);
    if (!found) throw new Error(`${page}: #${id} is missing`);
    return found as T;
  };
}
