#!/bin/bash
# setup-openstack.sh — stacklab's test cloud: a small but real single-node OpenStack from Debian
# bookworm's own packages (release Zed), without systemd, every listener on 127.0.0.1. It extends
# scripts/setup-heat.sh (same Keystone and Heat configuration; a Keystone/Heat that script or .ci/run
# started is reused, never restarted) with Glance, Placement, Nova on its fake hypervisor driver and
# Neutron, so that the sample labs' servers, networks, routers and floating IPs run on a real Heat +
# Nova + Neutron (docs/openstack.md says what runs on it and what cannot: no guest ever boots).
#
#   MariaDB :3306 + RabbitMQ :5672    reused when they already run, started otherwise
#   Keystone   :5000  uwsgi           identity           (same config as setup-heat.sh)
#   Heat       :8004  heat-api + heat-engine             (same config as setup-heat.sh)
#   Glance     :9292  glance-api      file store in /var/lib/glance/images
#   Placement  :8778  uwsgi
#   Nova       :8774  uwsgi nova-api + nova-conductor + nova-scheduler
#                     + nova-compute with compute_driver = fake.FakeDriver (no VM ever boots)
#   Neutron    :9696  neutron-server, ML2 (type drivers local,flat; mechanism driver linuxbridge)
#                     + neutron-linuxbridge-agent as the port-binding agent (no DHCP/L3/metadata agent,
#                     no dataplane: ports bind, but stay DOWN; routers/floating IPs exist only in the API)
#   Cloud content: flavors m1.tiny/small/medium/large, images "debian-12" and "desktop" (the sample labs'
#   defaults; tiny raw files, public),
#   external network "public" (172.24.4.0/24), shared network "private" + "router1", keypair "lab-key"
#   for admin and demo, OS_* env files and a clouds.yaml.
#
# Usage:  setup-openstack.sh            install / configure / start (idempotent: a re-run changes nothing)
#         setup-openstack.sh --check    prove health: endpoints, services, agent, hypervisor, content,
#                                       a smoke server (ACTIVE, then deleted) and a smoke stack, memory
#         setup-openstack.sh --stop     stop what this script started (by PID; never anything else)
# Env:    STATE_DIR (default $TMPDIR/openstack-lab)   RESET=1 (stop, drop the databases, start fresh;
#                                                     Keystone/Heat DBs are kept while others run them)
#         SMOKE_TEST=0 (skip the final stack create/delete)   CHECK_BOOT=0 (--check without smoke server)
#         COMPUTE_HOST (default fake-compute-1)   SHELVED_OFFLOAD_TIME (default -1: shelve -> SHELVED)
#         IMAGE_NAME (debian-12; the smoke server's)   EXTRA_IMAGES (desktop)   PUBLIC_CIDR (172.24.4.0/24)   passwords: see "settings" below
set -Eeuo pipefail

MODE=setup
case "${1:-}" in
  "") ;;
  --check) MODE=check ;;
  --stop) MODE=stop ;;
  -h|--help) sed -n '2,/^set -Eeuo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  *) echo "unknown argument: $1 (use --check, --stop or --help)" >&2; exit 2 ;;
esac

# ---------------------------------------------------------------- settings
STATE_DIR=${STATE_DIR:-${TMPDIR:-/tmp}/openstack-lab}
ADMIN_PASS=${ADMIN_PASS:-adminpass}
DEMO_PASS=${DEMO_PASS:-demopass}
HEAT_PASS=${HEAT_PASS:-heatpass}
HEAT_DOMAIN_ADMIN_PASS=${HEAT_DOMAIN_ADMIN_PASS:-heatdomainpass}
KEYSTONE_DB_PASS=${KEYSTONE_DB_PASS:-keystonedbpass}
HEAT_DB_PASS=${HEAT_DB_PASS:-heatdbpass}
GLANCE_PASS=${GLANCE_PASS:-glancepass}          GLANCE_DB_PASS=${GLANCE_DB_PASS:-glancedbpass}
PLACEMENT_PASS=${PLACEMENT_PASS:-placementpass} PLACEMENT_DB_PASS=${PLACEMENT_DB_PASS:-placementdbpass}
NOVA_PASS=${NOVA_PASS:-novapass}                NOVA_DB_PASS=${NOVA_DB_PASS:-novadbpass}
NEUTRON_PASS=${NEUTRON_PASS:-neutronpass}       NEUTRON_DB_PASS=${NEUTRON_DB_PASS:-neutrondbpass}
REGION=${REGION:-RegionOne}
COMPUTE_HOST=${COMPUTE_HOST:-fake-compute-1}
SHELVED_OFFLOAD_TIME=${SHELVED_OFFLOAD_TIME:--1}
IMAGE_NAME=${IMAGE_NAME:-debian-12}
EXTRA_IMAGES=${EXTRA_IMAGES:-desktop}
PUBLIC_CIDR=${PUBLIC_CIDR:-172.24.4.0/24}
PRIVATE_CIDR=${PRIVATE_CIDR:-10.0.0.0/24}
RESET=${RESET:-0}
SMOKE_TEST=${SMOKE_TEST:-1}
CHECK_BOOT=${CHECK_BOOT:-1}
TRANSPORT_URL=rabbit://guest:guest@127.0.0.1:5672/
KS_PORT=5000 HEAT_PORT=8004 GLANCE_PORT=9292 PLACEMENT_PORT=8778 NOVA_PORT=8774 NEUTRON_PORT=9696
KS=http://127.0.0.1:$KS_PORT/v3
NOVA_URL=http://127.0.0.1:$NOVA_PORT/v2.1
GLANCE_URL=http://127.0.0.1:$GLANCE_PORT
NEUTRON_URL=http://127.0.0.1:$NEUTRON_PORT
PLACEMENT_URL=http://127.0.0.1:$PLACEMENT_PORT
DBOPTS="max_pool_size = 5
max_overflow = 10"
export DEBIAN_FRONTEND=noninteractive
# This machine puts pyenv's python3 first on PATH; the OpenStack tools need Debian's.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
unset OS_CLOUD OS_AUTH_URL OS_TOKEN || true

[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
mkdir -p "$STATE_DIR/logs" "$STATE_DIR/done" "$STATE_DIR/bin"; chmod 755 "$STATE_DIR"
T_START=$(date +%s.%N)
STEP=start
elapsed() { awk -v a="$(date +%s.%N)" -v b="$T_START" 'BEGIN{printf "%6.1f", a-b}'; }
phase() { echo "[$(elapsed)s] $*" | tee -a "$STATE_DIR/setup-timings.log"; }
note()  { echo "[$(elapsed)s]   $*"; }
die()   { echo "[$(elapsed)s] ERROR ($STEP): $*" >&2; exit 1; }
# On an unexpected failure: name the step, the line and the command (once: not again from each subshell).
trap 'rc=$?; [ "$BASH_SUBSHELL" = 0 ] && echo "[$(elapsed)s] FAILED (exit $rc) in step \"$STEP\", line $LINENO: $BASH_COMMAND" >&2; exit $rc' ERR
wait_for() { # wait_for SECONDS CMD... ; polls every 0.5 s
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1; sleep 0.5
  done
}
http_code() { curl -s -o /dev/null -m 5 -w '%{http_code}' "$1" || true; }
http_ok() { [[ "$(http_code "$1")" =~ ^(200|300)$ ]]; }
sql() { mysql -N -B -e "$1"; }
utcnow() { date -u '+%Y-%m-%d %H:%M:%S'; }
pkg_version() { dpkg-query -W -f '${Version}' "$1" 2>/dev/null || echo none; }

# ---------------------------------------------------------------- service table
# name: how to recognise it (cmdline substring), port (or -), how to start it.
SERVICES=(keystone placement-api glance-api neutron-server neutron-linuxbridge-agent nova-api
          nova-conductor nova-scheduler nova-compute heat-engine heat-api)
svc_pattern() {
  case $1 in
    keystone) echo /usr/bin/keystone-wsgi-public ;;
    placement-api) echo /usr/bin/placement-api ;;
    nova-api) echo /usr/bin/nova-api-wsgi ;;
    nova-compute) echo "$STATE_DIR/bin/nova-compute" ;;
    *) echo "/usr/bin/$1" ;;
  esac
}
svc_port() {
  case $1 in
    keystone) echo $KS_PORT ;; placement-api) echo $PLACEMENT_PORT ;; glance-api) echo $GLANCE_PORT ;;
    neutron-server) echo $NEUTRON_PORT ;; nova-api) echo $NOVA_PORT ;; heat-api) echo $HEAT_PORT ;;
    *) echo - ;;
  esac
}
svc_url() { local p; p=$(svc_port "$1"); [ "$p" = - ] && return 1; [ "$1" = keystone ] && echo "$KS/" || echo "http://127.0.0.1:$p/"; }
pid_of_ours() { # prints the PID if this script started NAME and it still runs
  local f="$STATE_DIR/$1.pid" pid
  [ -s "$f" ] || return 1; pid=$(cat "$f")
  [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF -- "$(svc_pattern "$1")" && echo "$pid"
}
foreign_pid() { # a process of NAME that this script did not start (read-only look-up)
  local p; p=$(pgrep -o -f -- "$(svc_pattern "$1")" 2>/dev/null) || return 1; echo "$p"
}
svc_running() { pid_of_ours "$1" >/dev/null || foreign_pid "$1" >/dev/null || { svc_url "$1" >/dev/null && http_ok "$(svc_url "$1")"; }; }

uwsgi_start() { # uwsgi_start NAME PORT WSGI_FILE USER PROCESSES THREADS
  uwsgi --plugin python3 --http-socket "127.0.0.1:$2" --wsgi-file "$3" \
    --master --processes "$5" --threads "$6" --enable-threads --lazy-apps --die-on-term --buffer-size 65535 \
    --add-header 'Connection: close' --uid "$4" --gid "$4" --chdir "/var/lib/$4" \
    --pidfile "$STATE_DIR/$1.pid" --daemonize "$STATE_DIR/logs/$1.out"
}
daemon_start() { # daemon_start NAME USER EXECUTABLE ARGS...
  local name=$1 user=$2; shift 2
  start-stop-daemon --start --background --make-pidfile --pidfile "$STATE_DIR/$name.pid" \
    --chuid "$user:$user" --output "$STATE_DIR/logs/$name.out" --startas "$1" -- "${@:2}"
}
svc_start() {
  rm -f "$STATE_DIR/$1.pid"
  case $1 in
    keystone) uwsgi_start keystone $KS_PORT /usr/bin/keystone-wsgi-public keystone 2 2 ;;
    placement-api) uwsgi_start placement-api $PLACEMENT_PORT /usr/bin/placement-api placement 1 4 ;;
    nova-api) uwsgi_start nova-api $NOVA_PORT /usr/bin/nova-api-wsgi nova 2 1 ;;
    glance-api) daemon_start glance-api glance /usr/bin/glance-api --config-file /etc/glance/glance-api.conf ;;
    neutron-server) daemon_start neutron-server neutron /usr/bin/neutron-server \
        --config-file /etc/neutron/neutron.conf --config-file /etc/neutron/plugins/ml2/ml2_conf.ini ;;
    neutron-linuxbridge-agent) daemon_start neutron-linuxbridge-agent root /usr/bin/neutron-linuxbridge-agent \
        --config-file /etc/neutron/neutron.conf --config-file /etc/neutron/plugins/ml2/linuxbridge_agent.ini ;;
    nova-conductor|nova-scheduler) daemon_start "$1" nova "/usr/bin/$1" --config-file /etc/nova/nova.conf ;;
    nova-compute) daemon_start nova-compute nova "$STATE_DIR/bin/nova-compute" \
        --config-file /etc/nova/nova.conf --config-file /etc/nova/nova-compute-fake.conf ;;
    heat-api|heat-engine) daemon_start "$1" heat "/usr/bin/$1" --config-file /etc/heat/heat.conf ;;
  esac
}
helpers_of() { # privsep daemons the linuxbridge agent spawned (via sudo; they are re-parented to init)
  [ "$1" = neutron-linuxbridge-agent ] && pgrep -f 'privsep-helper .*linuxbridge_agent.ini' 2>/dev/null | tr '\n' ' '; return 0
}
svc_stop() { # only what we started
  local pid helpers p t0=$SECONDS; pid=$(pid_of_ours "$1") || { rm -f "$STATE_DIR/$1.pid"; return 0; }
  helpers=$(helpers_of "$1")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  for p in $helpers; do   # they exit when the agent's socket closes; make sure
    for _ in $(seq 1 10); do kill -0 "$p" 2>/dev/null || break; sleep 0.5; done
    kill -TERM "$p" 2>/dev/null || true
  done
  rm -f "$STATE_DIR/$1.pid"; echo "stopped $1 (pid $pid${helpers:+, privsep helpers $helpers}) in $((SECONDS-t0))s"
}
stop_all() { # all of ours at once (each takes 2-9 s to shut down gracefully)
  local s; for s in "${SERVICES[@]}"; do svc_stop "$s" & done; wait
}

# ---------------------------------------------------------------- --stop
if [ "$MODE" = stop ]; then
  stop_all
  if [ -f "$STATE_DIR/rabbitmq-wrapper.pid" ]; then
    rabbitmqctl -q -n rabbit@localhost stop 2>/dev/null && echo "stopped rabbitmq"
    for _ in $(seq 1 40); do kill -0 "$(cat "$STATE_DIR/rabbitmq-wrapper.pid")" 2>/dev/null || break; sleep 0.5; done
    rm -f "$STATE_DIR/rabbitmq-wrapper.pid"
    [ -s "$STATE_DIR/epmd.pid" ] && kill "$(cat "$STATE_DIR/epmd.pid")" 2>/dev/null && echo "stopped epmd"; rm -f "$STATE_DIR/epmd.pid"
  fi
  if [ -f "$STATE_DIR/mariadb.pid" ]; then
    kill "$(cat "$STATE_DIR/mariadb.pid")" 2>/dev/null && echo "stopping mariadb"
    for _ in $(seq 1 60); do kill -0 "$(cat "$STATE_DIR/mariadb.pid")" 2>/dev/null || break; sleep 0.5; done
    rm -f "$STATE_DIR/mariadb.pid"
  fi
  exit 0
fi

# ---------------------------------------------------------------- REST helpers
token() { # token USER PASS PROJECT [catalog-file] -> prints X-Subject-Token
  curl -sf -D - -o "${4:-/dev/null}" -H 'Content-Type: application/json' -d "{\"auth\":{\"identity\":{\"methods\":[\"password\"],
    \"password\":{\"user\":{\"name\":\"$1\",\"domain\":{\"name\":\"Default\"},\"password\":\"$2\"}}},
    \"scope\":{\"project\":{\"name\":\"$3\",\"domain\":{\"name\":\"Default\"}}}}}" "$KS/auth/tokens" \
  | awk -F': ' 'tolower($1)=="x-subject-token"{print $2}' | tr -d '\r'
}
TOKEN=""
api() { # api METHOD URL [JSON] -> body on stdout; non-zero with the HTTP error on stderr
  local out code; out=$(mktemp)
  code=$(curl -s -o "$out" -w '%{http_code}' -m 60 -X "$1" -H "X-Auth-Token: $TOKEN" \
         -H 'Content-Type: application/json' -H 'Accept: application/json' ${3:+-d "$3"} "$2") || code=000
  if [[ "$code" != 2* ]]; then echo "$1 $2 -> HTTP $code $(head -c 600 "$out")" >&2; rm -f "$out"; return 1; fi
  cat "$out"; rm -f "$out"
}
api_code() { curl -s -o /dev/null -w '%{http_code}' -m 60 -X "$1" -H "X-Auth-Token: $TOKEN" "$2" || true; }

# ---------------------------------------------------------------- --check
if [ "$MODE" = check ]; then
  set +eE; trap - ERR   # a check goes on after a failure: every problem becomes a FAIL line, exit 1 at the end
  FAILS=0
  ok()   { printf '  %-58s OK   %s\n' "$1" "${2:-}"; }
  bad()  { printf '  %-58s FAIL %s\n' "$1" "${2:-}"; FAILS=$((FAILS+1)); }
  mib() { awk -v k="$1" 'BEGIN{printf "%.1f", k/1024}'; }
  phase "check: endpoints"
  for s in keystone heat-api glance-api placement-api nova-api neutron-server; do
    c=$(http_code "$(svc_url $s)"); [[ "$c" =~ ^(200|300)$ ]] && ok "$s $(svc_url $s)" "HTTP $c" || bad "$s $(svc_url $s)" "HTTP $c"
  done
  TOKEN=$(token admin "$ADMIN_PASS" admin "$STATE_DIR/check-catalog.json") || true
  [ -n "$TOKEN" ] && ok "admin token" || { bad "admin token"; echo "CHECK FAILED"; exit 1; }
  cat_types=$(jq -r '[.token.catalog[].type]|sort|join(",")' "$STATE_DIR/check-catalog.json")
  [ "$cat_types" = "compute,identity,image,network,orchestration,placement" ] && ok "service catalog" "$cat_types" || bad "service catalog" "$cat_types"
  phase "check: services"
  svcs=$(api GET "$NOVA_URL/os-services") || svcs='{"services":[]}'
  for b in nova-conductor nova-scheduler nova-compute; do
    st=$(jq -r --arg b "$b" '[.services[]|select(.binary==$b)|"\(.host):\(.state)/\(.status)"]|join(",")' <<<"$svcs")
    [[ "$st" == *up/enabled* ]] && ok "compute service $b" "$st" || bad "compute service $b" "${st:-missing}"
  done
  ag=$(api GET "$NEUTRON_URL/v2.0/agents" | jq -r '[.agents[]|"\(.agent_type)@\(.host) alive=\(.alive)"]|join(",")') || ag=""
  [[ "$ag" == *"Linux bridge agent@$COMPUTE_HOST alive=true"* ]] && ok "neutron binding agent" "$ag" || bad "neutron binding agent" "$ag"
  hv=$(api GET "$NOVA_URL/os-hypervisors/detail" | jq -r '[.hypervisors[]|"\(.hypervisor_hostname) type=\(.hypervisor_type) \(.state)/\(.status)"]|join(",")') || hv=""
  [[ "$hv" == *"$COMPUTE_HOST type=fake up/enabled"* ]] && ok "hypervisor (fake driver)" "$hv" || bad "hypervisor (fake driver)" "$hv"
  rp=$(curl -s -H "X-Auth-Token: $TOKEN" -H 'OpenStack-API-Version: placement 1.10' "$PLACEMENT_URL/resource_providers?name=$COMPUTE_HOST" | jq -r '.resource_providers[0].uuid // empty')
  [ -n "$rp" ] && ok "placement resource provider" "$rp" || bad "placement resource provider"
  eng=$(curl -s -H "X-Auth-Token: $TOKEN" "http://127.0.0.1:$HEAT_PORT/v1/$(jq -r .token.project.id "$STATE_DIR/check-catalog.json")/services" | jq -r '[.services[]|select(.status=="up")]|length' 2>/dev/null || echo 0)
  [ "${eng:-0}" -gt 0 ] && ok "heat engines up" "$eng" || bad "heat engines up" "$eng"
  phase "check: cloud content"
  img=$(api GET "$GLANCE_URL/v2/images?name=$IMAGE_NAME" | jq -r '.images[0]|"\(.id) \(.status) \(.visibility)"') || img=""
  [[ "$img" == *" active public" ]] && ok "image $IMAGE_NAME" "$img" || bad "image $IMAGE_NAME" "$img"
  fl=$(api GET "$NOVA_URL/flavors" | jq -r '[.flavors[].name]|sort|join(",")') || fl=""
  [[ "$fl" == *m1.small*m1.tiny* ]] && ok "flavors" "$fl" || bad "flavors" "$fl"
  pub=$(api GET "$NEUTRON_URL/v2.0/networks?name=public" | jq -r '.networks[0]|"\(.id) external=\(."router:external")"') || pub=""
  [[ "$pub" == *external=true ]] && ok "external network public" "$pub" || bad "external network public" "$pub"
  if [ "$CHECK_BOOT" = 1 ] && [ "$FAILS" -gt 0 ]; then
    phase "check: smoke server and smoke stack skipped ($FAILS failures above)"
  elif [ "$CHECK_BOOT" = 1 ]; then
    phase "check: smoke server (demo user, fake driver)"
    TOKEN=$(token demo "$DEMO_PASS" demo "$STATE_DIR/check-demo-token.json")
    IMG=$(api GET "$GLANCE_URL/v2/images?name=$IMAGE_NAME" | jq -r '.images[0].id')
    NET=$(api GET "$NEUTRON_URL/v2.0/networks?name=private" | jq -r '.networks[0].id')
    t0=$(date +%s.%N)
    SID=$(api POST "$NOVA_URL/servers" "{\"server\":{\"name\":\"check-$(date +%s)\",\"imageRef\":\"$IMG\",\"flavorRef\":\"1\",\"networks\":[{\"uuid\":\"$NET\"}]}}" | jq -r .server.id) || SID=""
    st=""; for _ in $(seq 1 240); do
      [ -n "$SID" ] || break
      st=$(api GET "$NOVA_URL/servers/$SID" 2>/dev/null | jq -r .server.status) || st=""
      [[ "$st" == ACTIVE || "$st" == ERROR ]] && break; sleep 0.5; done
    t1=$(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN{printf "%.1f", a-b}')
    [ "$st" = ACTIVE ] && ok "server create -> ACTIVE" "$SID in ${t1}s" || bad "server create -> ACTIVE" "$SID status=$st $(api GET "$NOVA_URL/servers/$SID" 2>/dev/null | jq -c .server.fault)"
    if [ -n "$SID" ]; then
      api DELETE "$NOVA_URL/servers/$SID" >/dev/null || true
      for _ in $(seq 1 240); do [ "$(api_code GET "$NOVA_URL/servers/$SID")" = 404 ] && break; sleep 0.5; done
      [ "$(api_code GET "$NOVA_URL/servers/$SID")" = 404 ] && ok "server delete" || bad "server delete"
    fi
    phase "check: smoke stack (demo user): Port + FloatingIP + Server"
    HEAT_URL=$(jq -r '.token.catalog[]|select(.type=="orchestration")|.endpoints[]|select(.interface=="public")|.url' "$STATE_DIR/check-demo-token.json")
    TPL="{\"heat_template_version\":\"2018-08-31\",\"resources\":{
      \"port\":{\"type\":\"OS::Neutron::Port\",\"properties\":{\"network\":\"private\"}},
      \"fip\":{\"type\":\"OS::Neutron::FloatingIP\",\"properties\":{\"floating_network\":\"public\",\"port_id\":{\"get_resource\":\"port\"}}},
      \"server\":{\"type\":\"OS::Nova::Server\",\"properties\":{\"image\":\"$IMAGE_NAME\",\"flavor\":\"m1.tiny\",\"key_name\":\"lab-key\",
        \"networks\":[{\"port\":{\"get_resource\":\"port\"}}]}}},
      \"outputs\":{\"fip\":{\"value\":{\"get_attr\":[\"fip\",\"floating_ip_address\"]}}}}"
    t0=$(date +%s.%N)
    SELF=$(api POST "$HEAT_URL/stacks" "{\"stack_name\":\"check-$(date +%s)\",\"template\":$TPL}" | jq -r '.stack.links[0].href') || SELF=""
    st=""; for _ in $(seq 1 240); do [ -n "$SELF" ] || break; st=$(api GET "$SELF" | jq -r .stack.stack_status) || st=""; [[ "$st" == *_IN_PROGRESS ]] || break; sleep 0.5; done
    t1=$(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN{printf "%.1f", a-b}')
    [ "$st" = CREATE_COMPLETE ] && ok "stack create -> CREATE_COMPLETE" "in ${t1}s, floating IP $(api GET "$SELF" | jq -r '.stack.outputs[0].output_value')" \
      || bad "stack create -> CREATE_COMPLETE" "$st $( [ -n "$SELF" ] && api GET "$SELF" | jq -r .stack.stack_status_reason)"
    if [ -n "$SELF" ]; then
      api DELETE "$SELF" >/dev/null || true
      for _ in $(seq 1 240); do st=$(api GET "$SELF" | jq -r .stack.stack_status) || st=""; [[ "$st" == *_IN_PROGRESS ]] || break; sleep 0.5; done
      [ "$st" = DELETE_COMPLETE ] && ok "stack delete -> DELETE_COMPLETE" || bad "stack delete" "$st"
    fi
    TOKEN=$(token admin "$ADMIN_PASS" admin)
  fi
  phase "check: memory of the OpenStack services"
  printf '  %-27s %-8s %6s %10s %10s  %s\n' service started procs RSS_MiB PSS_MiB pids
  tot_rss=0 tot_pss=0 new_rss=0 new_pss=0
  for s in "${SERVICES[@]}"; do
    if pid=$(pid_of_ours "$s"); then by=script; elif pid=$(foreign_pid "$s"); then by=other; else printf '  %-27s not running\n' "$s"; bad "$s running"; continue; fi
    pids="$(ps -e -o pid=,ppid= | awk -v r="$pid" '{p[$1]=$2} END{keep[r]=1; ch=1; while(ch){ch=0; for(k in p) if(!(k in keep) && (p[k] in keep)){keep[k]=1; ch=1}} for(k in keep) printf "%s ", k}')$(helpers_of "$s")"
    rss=0 pss=0 n=0
    for p in $pids; do
      r=$(awk '/^VmRSS/{print $2}' "/proc/$p/status" 2>/dev/null || echo 0); q=$(awk '/^Pss:/{print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
      rss=$((rss + ${r:-0})); pss=$((pss + ${q:-0})); n=$((n+1))
    done
    printf '  %-27s %-8s %6s %10s %10s  %s\n' "$s" "$by" "$n" "$(mib $rss)" "$(mib $pss)" "$pids"
    tot_rss=$((tot_rss+rss)); tot_pss=$((tot_pss+pss))
    case $s in keystone|heat-*) ;; *) new_rss=$((new_rss+rss)); new_pss=$((new_pss+pss)) ;; esac
  done
  printf '  %-27s %-8s %6s %10s %10s\n' "TOTAL (all above)" "" "" "$(mib $tot_rss)" "$(mib $tot_pss)"
  printf '  %-42s %10s %10s\n' "  of which new services (not Keystone/Heat)" "$(mib $new_rss)" "$(mib $new_pss)"
  free -m | sed 's/^/  /'
  if [ "$FAILS" = 0 ]; then phase "CHECK PASSED"; exit 0; else phase "CHECK FAILED ($FAILS failures)"; exit 1; fi
fi

phase "start (state=$STATE_DIR reset=$RESET compute_host=$COMPUTE_HOST)"

# ---------------------------------------------------------------- 1. packages
STEP="1. packages"
PKGS=(mariadb-server python3-pymysql rabbitmq-server keystone heat-api heat-engine python3-heatclient
      python3-openstackclient curl jq uwsgi-plugin-python3 openssh-client
      glance-api glance-common placement-api placement-common python3-osc-placement
      nova-common nova-api nova-conductor nova-scheduler python3-nova
      neutron-common neutron-linuxbridge-agent python3-neutron)
missing=()
installed=" $( { dpkg-query -W -f '${Package}:${Status}\n' "${PKGS[@]}" 2>/dev/null || true; } | awk -F: '/ok installed/{printf "%s ", $1}')"
for p in "${PKGS[@]}"; do [[ "$installed" == *" $p "* ]] || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  phase "apt: installing ${missing[*]}"
  # Never start services from maintainer scripts (there is no init system here).
  TEMP_POLICY=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; TEMP_POLICY=1; fi
  # Every package's debconf default is already "don't configure", but be explicit.
  debconf-set-selections <<'EOF'
keystone keystone/configure_db boolean false
keystone keystone/create-admin-tenant boolean false
keystone keystone/register-endpoint boolean false
heat-common heat/configure_with_debconf boolean false
heat-common heat/configure_db boolean false
heat-common heat/configure_rabbit boolean false
heat-common heat/configure_ksat boolean false
heat-api heat/configure_api-endpoint boolean false
glance-common glance/configure_db boolean false
glance-common glance/configure_rabbit boolean false
glance-common glance/configure_ksat boolean false
glance-api glance/configure_api-endpoint boolean false
placement-common placement/configure_db boolean false
placement-common placement/configure_ksat boolean false
placement-api placement/configure_api-endpoint boolean false
nova-common nova/configure_db boolean false
nova-common nova/configure_rabbit boolean false
nova-common nova/configure_ksat boolean false
nova-common nova/configure_neutron boolean false
nova-common nova/configure_placement boolean false
nova-api novaapi/configure_db boolean false
nova-api nova/configure_api-endpoint boolean false
neutron-common neutron/configure_db boolean false
neutron-common neutron/configure_rabbit boolean false
neutron-common neutron/configure_ksat boolean false
neutron-common neutron/configure_nova boolean false
man-db man-db/auto-update boolean false
EOF
  for i in 1 2 3 4 5; do
    apt-get -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3 update -qq && break
    echo "apt-get update failed (lock?), retry $i" >&2; sleep 10
  done
  apt-get -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3 install -y -q --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}" \
    > "$STATE_DIR/apt-install.log" 2>&1 || { [ "$TEMP_POLICY" = 1 ] && rm -f /usr/sbin/policy-rc.d; tail -30 "$STATE_DIR/apt-install.log" >&2; die "apt-get install failed (log: $STATE_DIR/apt-install.log)"; }
  [ "$TEMP_POLICY" = 1 ] && rm -f /usr/sbin/policy-rc.d
  phase "apt: done"
else
  phase "apt: all ${#PKGS[@]} packages already installed"
fi

# ---------------------------------------------------------------- 2. MariaDB (reused when already running)
STEP="2. MariaDB"
if ! mysqladmin ping >/dev/null 2>&1; then
  mkdir -p /etc/mysql/mariadb.conf.d
  cat > /etc/mysql/mariadb.conf.d/99-openstack.cnf <<'EOF'
[mysqld]
bind-address = 127.0.0.1
default-storage-engine = innodb
innodb_file_per_table = on
max_connections = 1024
collation-server = utf8_general_ci
character-set-server = utf8
innodb_buffer_pool_size = 128M
EOF
  mkdir -p /run/mysqld && chown mysql:root /run/mysqld
  setsid /usr/sbin/mariadbd --user=mysql --pid-file=/run/mysqld/mysqld.pid \
    >"$STATE_DIR/logs/mariadb.out" 2>&1 </dev/null &
  wait_for 60 mysqladmin ping || { tail "$STATE_DIR/logs/mariadb.out" >&2; die "mariadb did not start"; }
  cp /run/mysqld/mysqld.pid "$STATE_DIR/mariadb.pid"
  phase "mariadb started (pid $(cat "$STATE_DIR/mariadb.pid"))"
else
  phase "mariadb already running"
fi
MAXCONN=$(sql "SELECT @@max_connections")
[ "$MAXCONN" -ge 150 ] || note "WARNING: MariaDB max_connections=$MAXCONN is low for 11 OpenStack services"

# ---------------------------------------------------------------- 3. RabbitMQ (reused when already running)
STEP="3. RabbitMQ"
export ERL_EPMD_ADDRESS=127.0.0.1     # epmd on loopback only
rabbit_up() { timeout 3 bash -c '</dev/tcp/127.0.0.1/5672' 2>/dev/null || rabbitmq-diagnostics -q check_port_connectivity >/dev/null 2>&1; }
if ! rabbit_up; then
  mkdir -p /etc/rabbitmq
  cat > /etc/rabbitmq/rabbitmq-env.conf <<'EOF'
NODENAME=rabbit@localhost
NODE_IP_ADDRESS=127.0.0.1
NODE_PORT=5672
SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
EOF
  setsid rabbitmq-server >"$STATE_DIR/logs/rabbitmq.out" 2>&1 </dev/null &
  echo $! > "$STATE_DIR/rabbitmq-wrapper.pid"
  wait_for 90 rabbitmq-diagnostics -q check_port_connectivity || { tail "$STATE_DIR/logs/rabbitmq.out" >&2; die "rabbitmq did not start"; }
  ss -ltnpH 'sport = :4369' | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2 > "$STATE_DIR/epmd.pid" || true
  phase "rabbitmq started (wrapper pid $(cat "$STATE_DIR/rabbitmq-wrapper.pid"))"
else
  phase "rabbitmq already running"
fi

# ---------------------------------------------------------------- 4. RESET (optional) and databases
STEP="4. RESET (optional) and databases"
if [ "$RESET" = 1 ]; then
  # Drop the databases of the services this script runs. Keystone's and Heat's are kept (with a note)
  # when someone else runs them (e.g. setup-heat.sh): never pull the floor from under a foreign process.
  for s in "${SERVICES[@]}"; do
    if ! pid_of_ours "$s" >/dev/null && foreign_pid "$s" >/dev/null; then
      case $s in keystone|heat-api|heat-engine) ;;
        *) die "RESET=1 refused: $s (pid $(foreign_pid "$s")) runs but was not started by this script; stop it first" ;;
      esac
    fi
  done
  stop_all
  DROP=(glance placement nova_api nova nova_cell0 neutron)
  if foreign_pid keystone >/dev/null; then note "RESET: keystone runs (not ours): its database and keys are kept"
  else DROP+=(keystone); rm -rf /etc/keystone/fernet-keys /etc/keystone/credential-keys "$STATE_DIR/done/keystone"*; fi
  if foreign_pid heat-api >/dev/null || foreign_pid heat-engine >/dev/null; then note "RESET: heat runs (not ours): its database is kept"
  else DROP+=(heat); rm -f "$STATE_DIR/done/heat"; fi
  for d in "${DROP[@]}"; do sql "DROP DATABASE IF EXISTS $d"; done
  rm -rf "$STATE_DIR/done"/{glance,placement,nova,neutron,cloud-content} /var/lib/glance/images/*
  phase "RESET: our services stopped, databases dropped: ${DROP[*]}"
fi
mysql <<EOF
CREATE DATABASE IF NOT EXISTS keystone; CREATE DATABASE IF NOT EXISTS heat; CREATE DATABASE IF NOT EXISTS glance;
CREATE DATABASE IF NOT EXISTS placement; CREATE DATABASE IF NOT EXISTS nova_api; CREATE DATABASE IF NOT EXISTS nova;
CREATE DATABASE IF NOT EXISTS nova_cell0; CREATE DATABASE IF NOT EXISTS neutron;
CREATE USER IF NOT EXISTS 'keystone'@'127.0.0.1' IDENTIFIED BY '$KEYSTONE_DB_PASS';
CREATE USER IF NOT EXISTS 'heat'@'127.0.0.1' IDENTIFIED BY '$HEAT_DB_PASS';
CREATE USER IF NOT EXISTS 'glance'@'127.0.0.1' IDENTIFIED BY '$GLANCE_DB_PASS';
CREATE USER IF NOT EXISTS 'placement'@'127.0.0.1' IDENTIFIED BY '$PLACEMENT_DB_PASS';
CREATE USER IF NOT EXISTS 'nova'@'127.0.0.1' IDENTIFIED BY '$NOVA_DB_PASS';
CREATE USER IF NOT EXISTS 'neutron'@'127.0.0.1' IDENTIFIED BY '$NEUTRON_DB_PASS';
GRANT ALL ON keystone.* TO 'keystone'@'127.0.0.1';
GRANT ALL ON heat.* TO 'heat'@'127.0.0.1';
GRANT ALL ON glance.* TO 'glance'@'127.0.0.1';
GRANT ALL ON placement.* TO 'placement'@'127.0.0.1';
GRANT ALL ON nova_api.* TO 'nova'@'127.0.0.1';
GRANT ALL ON nova.* TO 'nova'@'127.0.0.1';
GRANT ALL ON nova_cell0.* TO 'nova'@'127.0.0.1';
GRANT ALL ON neutron.* TO 'neutron'@'127.0.0.1';
EOF
phase "databases and DB users present"

# ---------------------------------------------------------------- 5. configuration files
STEP="5. configuration files"
# put_file PATH OWNER:GROUP MODE SERVICE... <content on stdin>: writes only when the content differs and
# then marks SERVICE... for a restart (if this script runs them).
declare -A CHANGED=()
put_file() {
  local path=$1 own=$2 mode=$3 tmp; shift 3
  tmp=$(mktemp); cat > "$tmp"
  if [ -f "$path" ] && cmp -s "$tmp" "$path"; then rm -f "$tmp"
  else
    mkdir -p "$(dirname "$path")"; mv "$tmp" "$path"; note "wrote $path"
    for s in "$@"; do CHANGED[$s]=1; done
  fi
  chown "$own" "$path"; chmod "$mode" "$path"
}
authtoken() { # authtoken USER PASS -> [keystone_authtoken] body
  cat <<EOF
www_authenticate_uri = http://127.0.0.1:$KS_PORT
auth_url = http://127.0.0.1:$KS_PORT
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = $1
password = $2
region_name = $REGION
EOF
}
svcauth() { # like authtoken, without www_authenticate_uri (for service-to-service client sections)
  authtoken "$1" "$2" | grep -v '^www_authenticate_uri'
}

# Keystone and Heat: identical to setup-heat.sh, so both scripts can share one Keystone/Heat.
put_file /etc/keystone/keystone.conf root:keystone 640 keystone <<EOF
[DEFAULT]
log_dir = /var/log/keystone
log_file = keystone.log
[database]
connection = mysql+pymysql://keystone:$KEYSTONE_DB_PASS@127.0.0.1/keystone
[token]
provider = fernet
[fernet_tokens]
key_repository = /etc/keystone/fernet-keys/
[credential]
key_repository = /etc/keystone/credential-keys/
[oslo_policy]
policy_dirs = /etc/keystone/policy.d
EOF
put_file /etc/heat/heat.conf root:heat 640 heat-api heat-engine <<EOF
[DEFAULT]
transport_url = $TRANSPORT_URL
log_dir = /var/log/heat
num_engine_workers = 1
region_name_for_services = $REGION
stack_user_domain_name = heat
stack_domain_admin = heat_domain_admin
stack_domain_admin_password = $HEAT_DOMAIN_ADMIN_PASS
heat_metadata_server_url = http://127.0.0.1:8000
heat_waitcondition_server_url = http://127.0.0.1:8000/v1/waitcondition
[database]
connection = mysql+pymysql://heat:$HEAT_DB_PASS@127.0.0.1/heat
[heat_api]
bind_host = 127.0.0.1
bind_port = $HEAT_PORT
workers = 1
[heat_all]
enabled_services = api,engine
[keystone_authtoken]
www_authenticate_uri = http://127.0.0.1:$KS_PORT
auth_url = http://127.0.0.1:$KS_PORT
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = heat
password = $HEAT_PASS
region_name = $REGION
[trustee]
auth_type = password
auth_url = http://127.0.0.1:$KS_PORT
username = heat
password = $HEAT_PASS
user_domain_name = Default
[clients_keystone]
auth_uri = http://127.0.0.1:$KS_PORT
[oslo_policy]
policy_dirs = /etc/heat/policy.d
EOF

put_file /etc/placement/placement.conf root:placement 640 placement-api <<EOF
[DEFAULT]
log_dir = /var/log/placement
[api]
auth_strategy = keystone
[keystone_authtoken]
$(authtoken placement "$PLACEMENT_PASS")
[placement_database]
connection = mysql+pymysql://placement:$PLACEMENT_DB_PASS@127.0.0.1/placement
$DBOPTS
[oslo_policy]
policy_dirs = /etc/placement/policy.d
EOF

put_file /etc/glance/glance-api.conf root:glance 640 glance-api <<EOF
[DEFAULT]
bind_host = 127.0.0.1
bind_port = $GLANCE_PORT
# 0 = one process with a green-thread pool (enough for a lab; saves ~100 MB per extra worker)
workers = 0
log_dir = /var/log/glance
enabled_backends = fs:file
[glance_store]
default_backend = fs
[fs]
filesystem_store_datadir = /var/lib/glance/images/
[os_glance_staging_store]
filesystem_store_datadir = /var/lib/glance/os_glance_staging_store/
[os_glance_tasks_store]
filesystem_store_datadir = /var/lib/glance/os_glance_tasks_store/
[database]
connection = mysql+pymysql://glance:$GLANCE_DB_PASS@127.0.0.1/glance
$DBOPTS
[keystone_authtoken]
$(authtoken glance "$GLANCE_PASS")
[paste_deploy]
flavor = keystone
[oslo_concurrency]
lock_path = /var/lib/glance/tmp
[oslo_policy]
policy_dirs = /etc/glance/policy.d
EOF

put_file /etc/nova/nova.conf root:nova 640 nova-api nova-conductor nova-scheduler nova-compute <<EOF
[DEFAULT]
transport_url = $TRANSPORT_URL
my_ip = 127.0.0.1
state_path = /var/lib/nova
log_dir = /var/log/nova
enabled_apis = osapi_compute
osapi_compute_listen = 127.0.0.1
# -1: "server shelve" leaves the server SHELVED, "shelve offload" (admin) makes it SHELVED_OFFLOADED.
# Nova's own default is 0 (offload at once); set SHELVED_OFFLOAD_TIME=0 to mimic that.
shelved_offload_time = $SHELVED_OFFLOAD_TIME
allow_resize_to_same_host = true
[api]
auth_strategy = keystone
[api_database]
connection = mysql+pymysql://nova:$NOVA_DB_PASS@127.0.0.1/nova_api
$DBOPTS
[database]
connection = mysql+pymysql://nova:$NOVA_DB_PASS@127.0.0.1/nova
$DBOPTS
[conductor]
workers = 1
[scheduler]
workers = 1
[keystone_authtoken]
$(authtoken nova "$NOVA_PASS")
[placement]
$(svcauth placement "$PLACEMENT_PASS")
[neutron]
$(svcauth neutron "$NEUTRON_PASS")
[glance]
region_name = $REGION
[cinder]
os_region_name = $REGION
[oslo_concurrency]
lock_path = /var/lib/nova/tmp
[oslo_policy]
policy_dirs = /etc/nova/policy.d
[wsgi]
api_paste_config = /etc/nova/api-paste.ini
[vnc]
enabled = false
[spice]
enabled = false
[quota]
instances = 100
cores = 400
ram = 819200
key_pairs = 100
EOF
put_file /etc/nova/nova-compute-fake.conf root:nova 640 nova-compute <<EOF
# Only nova-compute reads this file (after nova.conf).
[DEFAULT]
host = $COMPUTE_HOST
compute_driver = fake.FakeDriver
# The fake driver keeps its guests in memory: never let a power-state sync "correct" the database.
sync_power_state_interval = -1
# There is nothing to plug: don't wait for network-vif-plugged events (the fake driver never does anyway).
vif_plugging_is_fatal = false
vif_plugging_timeout = 0
EOF
put_file "$STATE_DIR/bin/nova-compute" root:root 755 nova-compute <<'EOF'
#!/usr/bin/python3
# nova-compute from python3-nova (Debian's nova-compute package would pull in libvirt/qemu).
import sys
from nova.cmd.compute import main
if __name__ == "__main__":
    sys.exit(main())
EOF

put_file /etc/neutron/neutron.conf root:neutron 640 neutron-server neutron-linuxbridge-agent <<EOF
[DEFAULT]
bind_host = 127.0.0.1
bind_port = $NEUTRON_PORT
core_plugin = ml2
service_plugins = router
auth_strategy = keystone
transport_url = $TRANSPORT_URL
allow_overlapping_ips = true
notify_nova_on_port_status_changes = true
notify_nova_on_port_data_changes = true
# no DHCP agent exists: don't notify one
dhcp_agent_notification = false
# API in the main process, one RPC worker process (state reports included)
api_workers = 0
rpc_workers = 1
rpc_state_report_workers = 0
log_dir = /var/log/neutron
state_path = /var/lib/neutron
[agent]
root_helper = sudo
[database]
connection = mysql+pymysql://neutron:$NEUTRON_DB_PASS@127.0.0.1/neutron
$DBOPTS
[keystone_authtoken]
$(authtoken neutron "$NEUTRON_PASS")
[nova]
$(svcauth nova "$NOVA_PASS")
[experimental]
# Neutron 21 (Zed) marks the linuxbridge mechanism driver experimental; it is only the binding agent here.
linuxbridge = true
[oslo_concurrency]
lock_path = /var/lib/neutron/tmp
[oslo_policy]
policy_dirs = /etc/neutron/policy.d
[quotas]
quota_network = 100
quota_subnet = 100
quota_port = 500
quota_router = 50
quota_floatingip = 100
quota_security_group = 100
quota_security_group_rule = 1000
EOF
put_file /etc/neutron/plugins/ml2/ml2_conf.ini root:neutron 640 neutron-server <<EOF
[ml2]
# "local" networks need no physical network and no kernel device; "flat" is there for admins' provider nets
type_drivers = local,flat
tenant_network_types = local
mechanism_drivers = linuxbridge
extension_drivers = port_security
[ml2_type_flat]
flat_networks = *
[securitygroup]
enable_security_group = true
EOF
put_file /etc/neutron/plugins/ml2/linuxbridge_agent.ini root:neutron 640 neutron-linuxbridge-agent <<EOF
# The agent only has to be alive (it heartbeats over RabbitMQ) so that ML2 binds ports on $COMPUTE_HOST.
# No mappings, no VXLAN, no firewall: it never touches the kernel while no tap device appears
# (and the fake driver creates none).
[DEFAULT]
host = $COMPUTE_HOST
[linux_bridge]
physical_interface_mappings =
bridge_mappings =
[vxlan]
enable_vxlan = false
[securitygroup]
firewall_driver = noop
enable_security_group = true
[agent]
polling_interval = 5
EOF
for d in /var/lib/nova/tmp /var/lib/neutron/tmp /var/lib/glance/tmp /var/lib/glance/images \
         /var/lib/glance/os_glance_staging_store /var/lib/glance/os_glance_tasks_store; do
  [ -d "$d" ] || install -d -o "$(echo "$d" | cut -d/ -f4)" -g "$(echo "$d" | cut -d/ -f4)" -m 750 "$d"
done
for u in nova neutron glance placement keystone heat; do install -d -o $u -g $u /var/log/$u; done
phase "configuration files in place (changed: ${!CHANGED[*]})"

# ---------------------------------------------------------------- 6. database schemas (skipped when done)
STEP="6. database schemas"
# A marker per schema records the package version it was synced with; a dropped DB is re-synced.
db_tables() { sql "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema='$1'"; }
synced() { [ -f "$STATE_DIR/done/$1" ] && [ "$(cat "$STATE_DIR/done/$1")" = "$2" ] && [ "$(db_tables "$3")" -gt 0 ]; }
BG=()
bg_job() { # bg_job NAME CMD... : runs in the background, output in logs/NAME.log
  local n=$1; shift
  ( "$@" ) >"$STATE_DIR/logs/$n.log" 2>&1 &
  BG+=("$n:$!")
}
bg_wait() {
  local j rc=0
  for j in "${BG[@]}"; do
    if ! wait "${j#*:}"; then echo "---- ${j%%:*} failed:" >&2; tail -20 "$STATE_DIR/logs/${j%%:*}.log" >&2; rc=1; fi
  done
  BG=(); [ $rc = 0 ] || die "a database sync failed (see above)"
}
as() { local u=$1; shift; su "$u" -s /bin/sh -c "$*"; }

V_KS=$(pkg_version keystone); V_HEAT=$(pkg_version heat-common); V_GL=$(pkg_version glance-common)
V_PL=$(pkg_version placement-common); V_NOVA=$(pkg_version python3-nova); V_NEU=$(pkg_version python3-neutron)
KS_BOOT="$V_KS $(echo "$ADMIN_PASS $REGION" | md5sum | cut -c1-8)"
if ! synced keystone "$KS_BOOT" keystone || [ ! -e /etc/keystone/fernet-keys/0 ] || [ ! -e /etc/keystone/credential-keys/0 ]; then
  ks() { su keystone -s /bin/sh -c "$*" 2>>"$STATE_DIR/logs/keystone-manage.err"; }
  ks keystone-manage db_sync
  for k in fernet credential; do
    if [ ! -e /etc/keystone/$k-keys/0 ]; then
      install -d -o keystone -g keystone -m 700 /etc/keystone/$k-keys
      ks keystone-manage ${k}_setup --keystone-user keystone --keystone-group keystone
    fi
  done
  ks keystone-manage bootstrap --bootstrap-password "$ADMIN_PASS" --bootstrap-username admin \
    --bootstrap-project-name admin --bootstrap-role-name admin --bootstrap-service-name keystone \
    --bootstrap-region-id "$REGION" --bootstrap-admin-url "$KS/" \
    --bootstrap-public-url "$KS/" --bootstrap-internal-url "$KS/"
  echo "$KS_BOOT" > "$STATE_DIR/done/keystone"
  phase "keystone db_sync + keys + bootstrap done"
fi
sync_heat()      { as heat "heat-manage db_sync"; }
sync_glance()    { as glance "glance-manage db_sync"; }
sync_placement() { as placement "placement-manage db sync"; }
sync_neutron()   { as neutron "neutron-db-manage --config-file /etc/neutron/neutron.conf --config-file /etc/neutron/plugins/ml2/ml2_conf.ini upgrade head"; }
sync_nova() {
  as nova "nova-manage api_db sync"
  as nova "nova-manage cell_v2 map_cell0 --database_connection mysql+pymysql://nova:$NOVA_DB_PASS@127.0.0.1/nova_cell0"
  local cells; cells=$(as nova "nova-manage cell_v2 list_cells")
  grep -q ' cell1 ' <<<"$cells" || as nova "nova-manage cell_v2 create_cell --name=cell1 --verbose"
  as nova "nova-manage db sync"
}
todo=()
synced heat "$V_HEAT" heat                || { bg_job sync-heat sync_heat; todo+=(heat); }
synced glance "$V_GL" glance              || { bg_job sync-glance sync_glance; todo+=(glance); }
synced placement "$V_PL" placement       || { bg_job sync-placement sync_placement; todo+=(placement); }
synced neutron "$V_NEU" neutron           || { bg_job sync-neutron sync_neutron; todo+=(neutron); }
{ synced nova "$V_NOVA" nova && [ "$(db_tables nova_api)" -gt 0 ] && [ "$(db_tables nova_cell0)" -gt 0 ]; } \
                                          || { bg_job sync-nova sync_nova; todo+=(nova); }
if [ ${#todo[@]} -gt 0 ]; then
  phase "db sync (in parallel): ${todo[*]}"
  bg_wait
  for t in "${todo[@]}"; do
    case $t in heat) v=$V_HEAT;; glance) v=$V_GL;; placement) v=$V_PL;; neutron) v=$V_NEU;; nova) v=$V_NOVA;; esac
    echo "$v" > "$STATE_DIR/done/$t"
  done
  phase "db sync done"
else
  phase "db schemas already synced"
fi

# ---------------------------------------------------------------- 7. Keystone
STEP="7. Keystone"
ensure_svc() { # start NAME unless it runs; restart it if its config changed and we started it
  local s=$1 pid
  if pid=$(pid_of_ours "$s"); then
    if [ -n "${CHANGED[$s]:-}" ]; then svc_stop "$s" >/dev/null; svc_start "$s"; STARTED+=("$s"); note "$s restarted (config changed)"
    fi
  elif pid=$(foreign_pid "$s"); then
    [ -n "${CHANGED[$s]:-}" ] && note "WARNING: config of $s changed, but pid $pid was not started by this script: restart it yourself"
    note "$s runs already (pid $pid, not started by this script): reused"
  else
    svc_start "$s"; STARTED+=("$s")
  fi
}
STARTED=()
ensure_svc keystone
wait_for 60 http_ok "$KS/" || { tail "$STATE_DIR/logs/keystone.out" >&2; die "keystone does not answer on $KS/"; }
phase "keystone up (${STARTED[*]:-already running})"

# ---------------------------------------------------------------- 8. Keystone entities (raw REST, find-or-create)
STEP="8. Keystone entities"
TOKEN=$(token admin "$ADMIN_PASS" admin "$STATE_DIR/admin-token.json"); [ -n "$TOKEN" ] || die "cannot get an admin token from $KS"
# What the catalog must hold; with the marker of the last run it lets a re-run skip ~40 Keystone calls.
WANT_CATALOG=$(printf '%s\n' "compute $NOVA_URL" "identity $KS/" "image $GLANCE_URL" "network $NEUTRON_URL" \
  "orchestration http://127.0.0.1:$HEAT_PORT/v1/%(tenant_id)s" "placement $PLACEMENT_URL" | sort)
catalog_ok() {
  local have; have=$(jq -r --arg r "$REGION" '.token.catalog[] as $s | $s.endpoints[] | select(.region_id==$r) |
    "\($s.type) \(.interface) \(.url)"' "$STATE_DIR/admin-token.json" | sort -u)
  local t u i
  while read -r t u; do
    [ "$t" = orchestration ] && u="http://127.0.0.1:$HEAT_PORT/v1/$(jq -r .token.project.id "$STATE_DIR/admin-token.json")"
    for i in public internal admin; do grep -qxF "$t $i $u" <<<"$have" || return 1; done
  done <<<"$WANT_CATALOG"
}
KS_SPEC=$(echo "$WANT_CATALOG $HEAT_PASS $GLANCE_PASS $PLACEMENT_PASS $NOVA_PASS $NEUTRON_PASS $DEMO_PASS $HEAT_DOMAIN_ADMIN_PASS $REGION" | md5sum | cut -c1-16)
if [ "$(cat "$STATE_DIR/done/keystone-entities" 2>/dev/null)" = "$KS_SPEC" ] && catalog_ok; then
  phase "keystone: service users, endpoints and demo user already in place (catalog verified)"
else
kget()  { api GET "$KS$1"; }
kpost() { api POST "$KS$1" "$2"; }
kput()  { api PUT "$KS$1" >/dev/null; }
foc() { # find-or-create COLLECTION QUERY BODY -> id
  local id; id=$(kget "/$1?$2" | jq -r ".${1}[0].id // empty")
  [ -n "$id" ] || id=$(kpost "/$1" "$3" | jq -r '.[keys[0]].id'); echo "$id"
}
SERVICE_PROJECT=$(foc projects "name=service&domain_id=default" '{"project":{"name":"service","domain_id":"default"}}')
ADMIN_ROLE=$(foc roles "name=admin" '{"role":{"name":"admin"}}')
MEMBER_ROLE=$(foc roles "name=member" '{"role":{"name":"member"}}')
foc roles "name=reader" '{"role":{"name":"reader"}}' >/dev/null
foc roles "name=heat_stack_owner" '{"role":{"name":"heat_stack_owner"}}' >/dev/null
foc roles "name=heat_stack_user" '{"role":{"name":"heat_stack_user"}}' >/dev/null
for up in "heat:$HEAT_PASS" "glance:$GLANCE_PASS" "placement:$PLACEMENT_PASS" "nova:$NOVA_PASS" "neutron:$NEUTRON_PASS"; do
  U=$(foc users "name=${up%%:*}&domain_id=default" "{\"user\":{\"name\":\"${up%%:*}\",\"domain_id\":\"default\",\"password\":\"${up#*:}\"}}")
  kput "/projects/$SERVICE_PROJECT/users/$U/roles/$ADMIN_ROLE"
done
HEAT_DOMAIN=$(foc domains "name=heat" '{"domain":{"name":"heat","description":"Heat stack projects and users"}}')
HDA=$(foc users "name=heat_domain_admin&domain_id=$HEAT_DOMAIN" "{\"user\":{\"name\":\"heat_domain_admin\",\"domain_id\":\"$HEAT_DOMAIN\",\"password\":\"$HEAT_DOMAIN_ADMIN_PASS\"}}")
kput "/domains/$HEAT_DOMAIN/users/$HDA/roles/$ADMIN_ROLE"
ensure_endpoints() { # ensure_endpoints TYPE NAME DESCRIPTION URL
  local svc eps id url
  svc=$(foc services "type=$1" "{\"service\":{\"type\":\"$1\",\"name\":\"$2\",\"description\":\"$3\"}}")
  for iface in public internal admin; do
    eps=$(kget "/endpoints?service_id=$svc&interface=$iface")
    id=$(jq -r '.endpoints[0].id // empty' <<<"$eps"); url=$(jq -r '.endpoints[0].url // empty' <<<"$eps")
    if [ -z "$id" ]; then
      kpost /endpoints "{\"endpoint\":{\"service_id\":\"$svc\",\"interface\":\"$iface\",\"region_id\":\"$REGION\",\"url\":\"$4\"}}" >/dev/null
    elif [ "$url" != "$4" ]; then
      api PATCH "$KS/endpoints/$id" "{\"endpoint\":{\"url\":\"$4\"}}" >/dev/null
    fi
  done
}
ensure_endpoints orchestration heat Orchestration "http://127.0.0.1:$HEAT_PORT/v1/%(tenant_id)s"
ensure_endpoints image glance "OpenStack Image" "$GLANCE_URL"
ensure_endpoints placement placement "Placement API" "$PLACEMENT_URL"
ensure_endpoints compute nova "OpenStack Compute" "$NOVA_URL"
ensure_endpoints network neutron "OpenStack Networking" "$NEUTRON_URL"
DEMO_PROJECT=$(foc projects "name=demo&domain_id=default" '{"project":{"name":"demo","domain_id":"default"}}')
DEMO_USER=$(foc users "name=demo&domain_id=default" "{\"user\":{\"name\":\"demo\",\"domain_id\":\"default\",\"password\":\"$DEMO_PASS\",\"default_project_id\":\"$DEMO_PROJECT\"}}")
kput "/projects/$DEMO_PROJECT/users/$DEMO_USER/roles/$MEMBER_ROLE"
echo "$KS_SPEC" > "$STATE_DIR/done/keystone-entities"
phase "keystone: service users, heat domain, endpoints (orchestration image placement compute network), demo user ready"
fi

# ---------------------------------------------------------------- 9. the other services
STEP="9. the other services"
SINCE=$(date -u -d '-2 sec' '+%Y-%m-%d %H:%M:%S')
for s in placement-api glance-api neutron-server neutron-linuxbridge-agent nova-api nova-conductor \
         nova-scheduler nova-compute heat-engine heat-api; do
  ensure_svc "$s"
done
[ ${#STARTED[@]} -gt 0 ] && phase "started: ${STARTED[*]}" || phase "all services already running"
started() { local s; for s in "${STARTED[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }
fail_logs() { # fail_logs NAME -> last lines of what it wrote
  echo "---- $STATE_DIR/logs/$1.out:" >&2; tail -15 "$STATE_DIR/logs/$1.out" 2>/dev/null >&2 || true
  local f; for f in /var/log/*/"$1".log; do [ -f "$f" ] && { echo "---- $f:" >&2; grep -E 'ERROR|CRITICAL|Traceback' "$f" | tail -8 >&2; }; done; return 0
}
for s in placement-api glance-api neutron-server nova-api heat-api; do
  wait_for 120 http_ok "$(svc_url $s)" || { fail_logs "$s"; die "$s does not answer on $(svc_url $s)"; }
done
phase "APIs answer: placement glance neutron nova heat"
nova_up() { # the service's heartbeat row is newer than $SINCE (only required when we (re)started it)
  [ "$(sql "SELECT COUNT(*) FROM nova.services WHERE deleted=0 AND \`binary\`='$1' AND $2 AND COALESCE(updated_at,created_at) >= '$SINCE'")" -gt 0 ]
}
fresh() { started "$1" && echo "'$SINCE'" || echo "'1970-01-01'"; }
agent_alive() {
  [ "$(sql "SELECT COUNT(*) FROM neutron.agents WHERE host='$COMPUTE_HOST' AND agent_type='Linux bridge agent' AND heartbeat_timestamp >= $(fresh neutron-linuxbridge-agent) AND heartbeat_timestamp >= UTC_TIMESTAMP() - INTERVAL 75 SECOND")" -gt 0 ]
}
engine_up() { [ "$(sql "SELECT COUNT(*) FROM heat.service WHERE deleted_at IS NULL AND updated_at >= $(fresh heat-engine) AND updated_at >= UTC_TIMESTAMP() - INTERVAL 180 SECOND")" -gt 0 ]; }
SQL_SINCE=$SINCE
for b in nova-conductor nova-scheduler nova-compute; do
  started "$b" || SINCE=1970-01-01
  cond="1"; [ "$b" = nova-compute ] && cond="host='$COMPUTE_HOST'"
  wait_for 180 nova_up "$b" "$cond" || { fail_logs "$b"; die "$b did not report to the database"; }
  SINCE=$SQL_SINCE
done
wait_for 120 agent_alive || { fail_logs neutron-linuxbridge-agent; die "neutron-linuxbridge-agent is not alive for host $COMPUTE_HOST"; }
wait_for 120 engine_up || { fail_logs heat-engine; die "heat-engine did not register"; }
phase "nova conductor/scheduler/compute report, linuxbridge agent alive, heat-engine registered"

# the fake hypervisor: compute node + resource provider, then map the host into cell1
node_ok() { [ "$(sql "SELECT COUNT(*) FROM nova.compute_nodes WHERE host='$COMPUTE_HOST' AND deleted=0")" -gt 0 ] &&
            [ "$(sql "SELECT COUNT(*) FROM placement.resource_providers WHERE name='$COMPUTE_HOST'")" -gt 0 ]; }
wait_for 180 node_ok || { fail_logs nova-compute; die "nova-compute did not create its compute node / resource provider"; }
if [ "$(sql "SELECT COUNT(*) FROM nova_api.host_mappings WHERE host='$COMPUTE_HOST'")" = 0 ]; then
  as nova "nova-manage cell_v2 discover_hosts --verbose" >"$STATE_DIR/logs/discover-hosts.log" 2>&1
  [ "$(sql "SELECT COUNT(*) FROM nova_api.host_mappings WHERE host='$COMPUTE_HOST'")" -gt 0 ] || die "discover_hosts did not map $COMPUTE_HOST"
  phase "compute host $COMPUTE_HOST mapped into cell1"
fi

# ---------------------------------------------------------------- 10. cloud content (REST, find-or-create)
STEP="10. cloud content"
[ -f "$STATE_DIR/lab-key" ] || { ssh-keygen -q -t ed25519 -N '' -C lab-key -f "$STATE_DIR/lab-key"; note "ssh key $STATE_DIR/lab-key generated"; }
FLAVORS=("1 m1.tiny 512 1 1" "2 m1.small 2048 1 20" "3 m1.medium 4096 2 40" "4 m1.large 8192 4 80")
CONTENT_SPEC=$(echo "${FLAVORS[*]} $IMAGE_NAME $EXTRA_IMAGES $PUBLIC_CIDR $PRIVATE_CIDR $(cat "$STATE_DIR/lab-key.pub")" | md5sum | cut -c1-16)
content_ok() { # 4 cheap reads: flavors, image, networks, router
  [ "$(api GET "$NOVA_URL/flavors" | jq -r '[.flavors[].name]|sort|join(" ")')" = "m1.large m1.medium m1.small m1.tiny" ] &&
  for i in $IMAGE_NAME $EXTRA_IMAGES; do [ "$(api GET "$GLANCE_URL/v2/images?name=$i" | jq -r '.images[0].status')" = active ] || return 1; done &&
  [ "$(api GET "$NEUTRON_URL/v2.0/networks?name=public&name=private" | jq -r '[.networks[].name]|sort|join(" ")')" = "private public" ] &&
  [ "$(api GET "$NEUTRON_URL/v2.0/routers?name=router1" | jq -r '.routers|length')" = 1 ]
}
if [ "$(cat "$STATE_DIR/done/cloud-content" 2>/dev/null)" = "$CONTENT_SPEC" ] && content_ok 2>/dev/null; then
  phase "cloud content already in place (flavors, image, networks, router verified)"
else
for f in "${FLAVORS[@]}" "2 m1.small 2048 1 20" "3 m1.medium 4096 2 40" "4 m1.large 8192 4 80"; do
  set -- $f
  if [ "$(api_code GET "$NOVA_URL/flavors/$1")" != 200 ]; then
    api POST "$NOVA_URL/flavors" "{\"flavor\":{\"id\":\"$1\",\"name\":\"$2\",\"ram\":$3,\"vcpus\":$4,\"disk\":$5}}" >/dev/null
    note "flavor $2 created"
  fi
done
for img_name in $IMAGE_NAME $EXTRA_IMAGES; do
  IMG=$(api GET "$GLANCE_URL/v2/images?name=$img_name" | jq -r '[.images[]|select(.status=="active")][0].id // empty')
  if [ -z "$IMG" ]; then
    for stale in $(api GET "$GLANCE_URL/v2/images?name=$img_name" | jq -r '.images[].id'); do api DELETE "$GLANCE_URL/v2/images/$stale" >/dev/null; done
    IMG=$(api POST "$GLANCE_URL/v2/images" "{\"name\":\"$img_name\",\"disk_format\":\"raw\",\"container_format\":\"bare\",\"visibility\":\"public\",\"os_distro\":\"debian\",\"os_version\":\"12\",\"description\":\"placeholder image for the fake driver (1 MiB of zeros)\"}" | jq -r .id)
    head -c 1048576 /dev/zero > "$STATE_DIR/placeholder.raw"
    curl -sf -X PUT -H "X-Auth-Token: $TOKEN" -H 'Content-Type: application/octet-stream' \
      --data-binary @"$STATE_DIR/placeholder.raw" "$GLANCE_URL/v2/images/$IMG/file" || die "image upload failed"
    [ "$(api GET "$GLANCE_URL/v2/images/$IMG" | jq -r .status)" = active ] || die "image $img_name is not active"
    note "image $img_name created ($IMG)"
  fi
done
nfind() { api GET "$NEUTRON_URL/v2.0/$1?$2" | jq -r ".${1}[0].id // empty"; }
PUB=$(nfind networks "name=public")
[ -n "$PUB" ] || { PUB=$(api POST "$NEUTRON_URL/v2.0/networks" '{"network":{"name":"public","router:external":true,"provider:network_type":"local","description":"external network (API only, no dataplane)"}}' | jq -r .network.id); note "network public created"; }
PUB_SUB=$(nfind subnets "name=public-subnet")
if [ -z "$PUB_SUB" ]; then
  p=${PUBLIC_CIDR%.*}
  PUB_SUB=$(api POST "$NEUTRON_URL/v2.0/subnets" "{\"subnet\":{\"name\":\"public-subnet\",\"network_id\":\"$PUB\",\"ip_version\":4,\"cidr\":\"$PUBLIC_CIDR\",\"gateway_ip\":\"$p.1\",\"allocation_pools\":[{\"start\":\"$p.10\",\"end\":\"$p.250\"}],\"enable_dhcp\":false}}" | jq -r .subnet.id)
  note "subnet public-subnet $PUBLIC_CIDR created"
fi
PRIV=$(nfind networks "name=private")
[ -n "$PRIV" ] || { PRIV=$(api POST "$NEUTRON_URL/v2.0/networks" '{"network":{"name":"private","shared":true}}' | jq -r .network.id); note "network private (shared) created"; }
PRIV_SUB=$(nfind subnets "name=private-subnet")
if [ -z "$PRIV_SUB" ]; then
  p=${PRIVATE_CIDR%.*}
  PRIV_SUB=$(api POST "$NEUTRON_URL/v2.0/subnets" "{\"subnet\":{\"name\":\"private-subnet\",\"network_id\":\"$PRIV\",\"ip_version\":4,\"cidr\":\"$PRIVATE_CIDR\",\"gateway_ip\":\"$p.1\"}}" | jq -r .subnet.id)
  note "subnet private-subnet $PRIVATE_CIDR created"
fi
R1=$(nfind routers "name=router1")
[ -n "$R1" ] || { R1=$(api POST "$NEUTRON_URL/v2.0/routers" "{\"router\":{\"name\":\"router1\",\"external_gateway_info\":{\"network_id\":\"$PUB\"}}}" | jq -r .router.id); note "router1 created"; }
if [ -z "$(nfind ports "device_id=$R1&network_id=$PRIV")" ]; then
  api PUT "$NEUTRON_URL/v2.0/routers/$R1/add_router_interface" "{\"subnet_id\":\"$PRIV_SUB\"}" >/dev/null; note "router1 interface on private-subnet added"
fi
for cred in "admin $ADMIN_PASS admin" "demo $DEMO_PASS demo"; do
  set -- $cred; TOKEN=$(token "$1" "$2" "$3")
  if [ "$(api_code GET "$NOVA_URL/os-keypairs/lab-key")" != 200 ]; then
    api POST "$NOVA_URL/os-keypairs" "{\"keypair\":{\"name\":\"lab-key\",\"public_key\":\"$(cat "$STATE_DIR/lab-key.pub")\"}}" >/dev/null
    note "keypair lab-key imported for user $1"
  fi
done
TOKEN=$(token admin "$ADMIN_PASS" admin)
echo "$CONTENT_SPEC" > "$STATE_DIR/done/cloud-content"
phase "cloud content: flavors, images $IMAGE_NAME $EXTRA_IMAGES, networks public/private, router1, keypair lab-key"
fi

# ---------------------------------------------------------------- 11. client files
STEP="11. client files"
put_file "$STATE_DIR/openrc" root:root 644 <<EOF
export OS_AUTH_URL=$KS
export OS_IDENTITY_API_VERSION=3
export OS_USERNAME=admin OS_PASSWORD=$ADMIN_PASS OS_PROJECT_NAME=admin
export OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default OS_REGION_NAME=$REGION
export OS_INTERFACE=public
EOF
put_file "$STATE_DIR/openrc-demo" root:root 644 <<EOF
export OS_AUTH_URL=$KS
export OS_IDENTITY_API_VERSION=3
export OS_USERNAME=demo OS_PASSWORD=$DEMO_PASS OS_PROJECT_NAME=demo
export OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default OS_REGION_NAME=$REGION
export OS_INTERFACE=public
EOF
put_file "$STATE_DIR/clouds.yaml" root:root 644 <<EOF
# export OS_CLIENT_CONFIG_FILE=$STATE_DIR/clouds.yaml OS_CLOUD=lab-demo   (or lab-admin)
clouds:
  lab-admin:
    auth: {auth_url: "$KS", username: admin, password: "$ADMIN_PASS", project_name: admin,
           user_domain_name: Default, project_domain_name: Default}
    region_name: $REGION
    interface: public
    identity_api_version: 3
  lab-demo:
    auth: {auth_url: "$KS", username: demo, password: "$DEMO_PASS", project_name: demo,
           user_domain_name: Default, project_domain_name: Default}
    region_name: $REGION
    interface: public
    identity_api_version: 3
EOF
put_file "$STATE_DIR/stop-openstack.sh" root:root 755 <<EOF
#!/bin/bash
# Stops only what setup-openstack.sh started (PID files in $STATE_DIR).
STATE_DIR=$STATE_DIR exec $(readlink -f "$0") --stop
EOF

# ---------------------------------------------------------------- 12. smoke test: a Heat stack (demo user)
STEP="12. smoke test: a Heat stack"
if [ "$SMOKE_TEST" = 1 ] && [ ${#STARTED[@]} -gt 0 ]; then
  DT=$(token demo "$DEMO_PASS" demo "$STATE_DIR/smoke-token.json")
  HEAT_URL=$(jq -r '.token.catalog[]|select(.type=="orchestration")|.endpoints[]|select(.interface=="public")|.url' "$STATE_DIR/smoke-token.json")
  NAME=smoke-$(date +%s)
  SELF=$(curl -sf -H "X-Auth-Token: $DT" -H 'Content-Type: application/json' -d "{\"stack_name\":\"$NAME\",
    \"template\":{\"heat_template_version\":\"2018-08-31\",\"resources\":{\"pw\":{\"type\":\"OS::Heat::RandomString\"},
    \"sg\":{\"type\":\"OS::Neutron::SecurityGroup\",\"properties\":{\"rules\":[{\"protocol\":\"tcp\",\"port_range_min\":22,\"port_range_max\":22}]}}}}}" \
    "$HEAT_URL/stacks" | jq -r '.stack.links[0].href') || die "smoke stack: create request refused"
  st=""; for _ in $(seq 1 240); do st=$(curl -sf -H "X-Auth-Token: $DT" "$SELF" | jq -r .stack.stack_status); [[ "$st" == *_IN_PROGRESS ]] || break; sleep 0.5; done
  [ "$st" = CREATE_COMPLETE ] || die "smoke stack: $st ($(curl -sf -H "X-Auth-Token: $DT" "$SELF" | jq -r .stack.stack_status_reason))"
  curl -sf -H "X-Auth-Token: $DT" -X DELETE "$SELF"
  for _ in $(seq 1 240); do st=$(curl -sf -H "X-Auth-Token: $DT" "$SELF" | jq -r .stack.stack_status); [ "$st" = DELETE_COMPLETE ] && break; sleep 0.5; done
  [ "$st" = DELETE_COMPLETE ] || die "smoke stack delete: $st"
  phase "smoke test OK (stack with RandomString + Neutron SecurityGroup created and deleted as demo)"
fi
phase "READY  keystone=$KS nova=$NOVA_URL neutron=$NEUTRON_URL glance=$GLANCE_URL heat=http://127.0.0.1:$HEAT_PORT/v1/<project_id>  env=$STATE_DIR/openrc(-demo) clouds=$STATE_DIR/clouds.yaml stop=$STATE_DIR/stop-openstack.sh"
