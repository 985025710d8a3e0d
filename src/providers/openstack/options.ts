/**
 * Settings of one OpenStack provider entry: which cloud, how to authenticate, and how hard to
 * push it. Keys follow clouds.yaml spelling (snake_case) so operators can copy an `auth:` block
 * from their clouds.yaml unchanged. Unknown keys are refused so a typo is caught at start.
 */
import { z } from 'zod';

export const INTERFACES = ['public', 'internal', 'admin'] as const;
export type EndpointInterface = (typeof INTERFACES)[number];

export const openStackAuthOptions = z
  .object({
    auth_url: z.string().url().describe('Keystone URL, with or without /v3.'),
    username: z.string().optional(),
    user_id: z.string().optional(),
    password: z.string().optional(),
    project_name: z.string().optional(),
    project_id: z.string().optional(),
    user_domain_name: z.string().optional(),
    user_domain_id: z.string().optional(),
    project_domain_name: z.string().optional(),
    project_domain_id: z.string().optional(),
    application_credential_id: z.string().optional(),
    application_credential_name: z.string().optional(),
    application_credential_secret: z.string().optional(),
  })
  .strict();
export type OpenStackAuthOptions = z.infer<typeof openStackAuthOptions>;

export const openStackProviderOptions = z
  .object({
    cloud: z.string().optional().describe('Entry of clouds.yaml to use (default: OS_CLOUD).'),
    auth: openStackAuthOptions.optional().describe('Explicit credentials; win over clouds.yaml and OS_* variables.'),
    region: z.string().optional().describe('Region whose endpoints to use (default: the cloud entry, OS_REGION_NAME, or the first).'),
    interface: z.enum(INTERFACES).optional().describe('Endpoint interface from the catalog (default: public).'),
    concurrency: z.number().int().min(1).max(1000).default(8).describe('Most requests in flight to this cloud at once, shared by every entry with the same Keystone URL and region (the smallest of their limits wins).'),
    request_timeout_seconds: z.number().positive().default(30).describe('Time limit of one HTTP request.'),
    // Dormancy (docs/openstack.md, "Dormancy: suspend, shelve, delete"): what this cloud can do and bills.
    bills_suspended: z.boolean().default(true).describe('The cloud bills a suspended server (it keeps its place on the hypervisor); most do. Decides the default of shelve_after.'),
    can_shelve: z.boolean().default(true).describe("Shelve dormant stacks' servers with Nova; false where Nova's policy or the cloud forbids it."),
    shelve_offload: z
      .boolean()
      .default(false)
      .describe("Ask Nova to offload shelved servers (shelveOffload, admin-only by Nova's default policy); needed only where the cloud's shelved_offload_time keeps them on the hypervisor."),
    shelve_after: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('Default seconds unused before a suspended stack is shelved, for labs that set none; 0 = never. Default: 7200 where bills_suspended and can_shelve, else 0.'),
    unshelve_estimate_seconds: z.number().int().min(0).default(300).describe('What waking a shelved lab typically takes on this cloud, shown to the learner as the estimate.'),
  })
  .strict();

export type OpenStackProviderOptions = z.input<typeof openStackProviderOptions>;
export type OpenStackSettings = z.output<typeof openStackProviderOptions>;

export function parseOpenStackOptions(input: OpenStackProviderOptions = {}): OpenStackSettings {
  return openStackProviderOptions.parse(input);
}
