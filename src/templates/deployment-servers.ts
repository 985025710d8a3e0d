/**
 * Heat's own check of a software deployment (SoftwareDeployment.validate in heat/engine/resources/
 * openstack/heat/software_deployment.py): the server it deploys to, when a resource of the same
 * template, must not set `user_data_format` to anything but SOFTWARE_CONFIG (its agent would never
 * get the deployment). Heat finds the server by reference id, which before the stack exists is the
 * resource's name: `{get_resource: name}` or the name itself. A format given by a function is left
 * to Heat (it depends on values only the launch knows).
 */
import type { HotTemplate } from './parse.ts';
import { isPlainObject, type PathPart } from './yaml-source.ts';

export function checkDeploymentServers(template: HotTemplate, types: Record<string, string>, problem: (path: PathPart[], message: string) => void): void {
  for (const [name, resource] of Object.entries(template.resources)) {
    if (types[name] !== 'OS::Heat::SoftwareDeployment' || !isPlainObject(resource.properties)) continue;
    const server = resource.properties.server;
    const ref = typeof server === 'string' ? server : isPlainObject(server) && typeof server.get_resource === 'string' ? server.get_resource : undefined;
    if (ref === undefined || !Object.hasOwn(template.resources, ref) || types[ref] !== 'OS::Nova::Server') continue;
    const props = template.resources[ref].properties;
    const format = isPlainObject(props) ? props.user_data_format : undefined;
    if (typeof format === 'string' && format !== 'SOFTWARE_CONFIG')
      problem(['resources', name, 'properties', 'server'], `Resource ${ref}'s property user_data_format should be set to SOFTWARE_CONFIG since there are software deployments on it.`);
  }
}
