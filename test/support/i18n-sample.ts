/** A value for every argument the catalogues' messages take, so a test can format any of them. */
export const SAMPLE_VALUES: Record<string, string | number | Date> = {
  lab: 'Shell basics', countdown: '0:42', word: 'RESET', kind: 'ssh', elapsed: '1:05', state: 'CREATING', since: new Date(), status: 503, passed: 2, total: 3,
  score: 0.67, what: 'Opening the lab', reason: 'signature', protocol: 'vnc', name: 'Ada', cause: 'The lab server does not answer yet.', attempts: 3, estimate: '4:00',
  count: 2, left: '1:05:00', budget: '10:00:00', limit: 4, labs: 'Shell basics, Web servers', more: 1, max: 5, seconds: 30, host: 'web-1', title: 'nginx runs',
  error: 'connect ECONNREFUSED',
  // The console and the class view (console.*, class.*).
  message: 'The stack is busy.', detail: 'SUSPENDING', command: 'stacklab operator add <name>', health: 'degraded', capacity: 10, last: '12/2/26, 3:04 PM', id: 'shell',
  providers: 'local', page: 2, learner: 'Ada', action: 'suspend', done: 1, messages: 'No.', actor: 'operator:ada', scoredAt: '12/2/26, 3:04 PM', start: '12/2/26, 3:00 PM',
  end: '3:04 PM', server: 'server-1', checks: '2/3 (67%)', shown: 5, known: 'RUNNING, SUSPENDED', confirm: 3,
  // The console's OIDC sign-in (console.signInWith, console.oidc*) names the OpenID provider; the history's
  // reasons (history.*) a cloud: one `provider` serves both.
  // The history's reasons (history.*, src/infra/i18n/history-reasons.ts): dates as epoch milliseconds, as stored.
  code: 'PROVIDER_FULL', used: 3600, budgetSeconds: 7200, provider: 'east', providerStack: 'stacklab-a-1', providerStackId: 'f00d', next: 'west',
  why: 'stale', started: Date.UTC(2026, 11, 2, 15, 4), hours: 1, minutes: 30, note: 'retake',
  // lab.failureSentence: a failure's words, made a sentence.
  failure: 'Launch failed',
  // error.BAD_REQUEST.scheduleUnknownTimeZone: the time zone a class named.
  zone: 'Europe/Atlantis',
  // The cost report page (report.*): its months, when it was made, a bar's figure, why a cost is unknown.
  period: 'March 2026', generated: 'March 31, 2026 at 11:00 PM', series: 'Cost', value: '€2.00', flavors: 'm1.small, m1.large', currencies: 'EUR, USD',
};
