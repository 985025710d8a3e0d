/** A value for every argument the catalogues' messages take, so a test can format any of them. */
export const SAMPLE_VALUES: Record<string, string | number | Date> = {
  lab: 'Shell basics', countdown: '0:42', word: 'RESET', kind: 'ssh', elapsed: '1:05', state: 'CREATING', since: new Date(), status: 503, passed: 2, total: 3,
  score: 0.67, what: 'Opening the lab', reason: 'signature', protocol: 'vnc', name: 'Ada', cause: 'The lab server does not answer yet.', attempts: 3, estimate: '4:00',
  count: 2, left: '1:05:00', budget: '10:00:00', limit: 4, labs: 'Shell basics, Web servers', more: 1, max: 5, seconds: 30, host: 'web-1', title: 'nginx runs',
  error: 'connect ECONNREFUSED',
};
