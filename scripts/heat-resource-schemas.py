#!/usr/bin/python3
"""
Writes src/templates/heat-resource-schemas.json: the properties schema of every resource type a
stock Heat registers, read from Heat's own resource plugins (the python3-heat package that
scripts/setup-heat.sh installs), so `stacklab validate` checks properties as Heat does.

Heat's REST call GET /resource_types/{type} gives the same schemas but leaves out HIDDEN properties
(e.g. OS::Neutron::Subnet's network_id), which Heat still accepts in templates; reading the plugins
keeps them. Run as root (Heat's config is root-readable) after setup-heat.sh:

    /usr/bin/python3 scripts/heat-resource-schemas.py > src/templates/heat-resource-schemas.json
"""
import json
import subprocess
import sys

from oslo_config import cfg

cfg.CONF([], project='heat', default_config_files=['/etc/heat/heat.conf'])

from heat.engine import properties, resources, support  # noqa: E402


def compact(schema):
    """type, required, constraints (custom ones need the cloud: left to Heat), nested schema, status."""
    out = {'type': schema.type}
    if schema.required:
        out['required'] = True
    constraints = [c for c in dict(schema).get('constraints', []) if 'custom_constraint' not in c]
    for c in constraints:
        c.pop('description', None)
    if constraints:
        out['constraints'] = constraints
    if schema.schema:
        out['schema'] = {k: compact(v) for k, v in schema.schema.items()}
    status = schema.support_status.status if schema.support_status else support.SUPPORTED
    if status != support.SUPPORTED:
        out['status'] = status
    return out


resources.initialise()
registry = resources.global_env().registry._registry
types = {}
for name in sorted(registry):
    plugin = getattr(registry[name], 'value', None)
    if not isinstance(plugin, type):
        continue
    types[name] = {k: compact(v) for k, v in properties.schemata(plugin.properties_schema).items()}

version = subprocess.run(['dpkg-query', '-W', '-f=${Version}', 'python3-heat'], capture_output=True, text=True).stdout
json.dump({'heat': version, 'types': types}, sys.stdout, sort_keys=True, separators=(',', ':'))
sys.stdout.write('\n')
