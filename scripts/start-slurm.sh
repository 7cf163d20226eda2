#!/usr/bin/env bash
# start-slurm.sh - aifhub's copy of the reference recipe (shared/reference/start-slurm.sh):
# a real single-node Slurm cluster for CI on Debian 12 (bookworm), run as root,
# without systemd: munged + MariaDB + slurmdbd + slurmctld + slurmd + slurmrestd (JWT),
# one node "localhost" with partitions "cpu" (default) and "gpu" (2 fake GPUs).
#
#   start-slurm.sh [start]   install what is missing, write configs, start daemons (idempotent)
#   start-slurm.sh stop      stop the daemons this script started (by PID file)
#   start-slurm.sh status    show which daemons are alive
#
# Afterwards:  . "$SLURM_CI_BASE/env.sh"   (exports SLURM_CONF, SLURMRESTD_URL, SLURMRESTD_USER)
# Knobs (environment):
#   SLURM_CI_BASE      all state/config/logs           (default /tmp/slurm-ci)
#   SLURM_CI_CLUSTER   ClusterName                     (default ci)
#   SLURM_CI_CPUS      CPUs advertised by the node     (default 16; >real via config_overrides, 0 = real)
#   SLURM_CI_MEM_MB    RealMemory advertised           (default 16384)
#   SLURM_CI_GPUS      fake GPUs on the node           (default 2, 0 = no gres)
#   SLURM_CI_DBD       1 = slurmdbd+MariaDB accounting, 0 = accounting_storage/none + jobcomp/filetxt
#   SLURM_CI_REST      1 = start slurmrestd on 127.0.0.1:$SLURM_CI_REST_PORT (needs DBD for /slurmdb/*)
#   SLURM_CI_REST_PORT (default 6820)   SLURM_CI_DB_PORT (default 3307, MariaDB on 127.0.0.1)
#   SLURM_CI_REST_USER non-root Linux+Slurm user for REST tokens (default slurmci)
#   SLURM_CI_ENFORCE   AccountingStorageEnforce        (default associations,limits,qos,safe)
#   SLURM_CI_LINK_ETC  1 = also symlink /etc/slurm/slurm.conf (so SLURM_CONF is not needed)
set -euo pipefail

BASE=${SLURM_CI_BASE:-/tmp/slurm-ci}
CLUSTER=${SLURM_CI_CLUSTER:-ci}
CPUS=${SLURM_CI_CPUS:-16}
MEM_MB=${SLURM_CI_MEM_MB:-16384}
GPUS=${SLURM_CI_GPUS:-2}
WITH_DBD=${SLURM_CI_DBD:-1}
WITH_REST=${SLURM_CI_REST:-1}
REST_PORT=${SLURM_CI_REST_PORT:-6820}
DB_PORT=${SLURM_CI_DB_PORT:-3307}
REST_USER=${SLURM_CI_REST_USER:-slurmci}
ENFORCE=${SLURM_CI_ENFORCE:-associations,limits,qos,safe}
LINK_ETC=${SLURM_CI_LINK_ETC:-0}
DB_PASS=slurmci-db-pw

ETC=$BASE/etc RUN=$BASE/run LOG=$BASE/log STATE=$BASE/state SPOOL=$BASE/spool
export SLURM_CONF=$ETC/slurm.conf
T0=$(date +%s%N)
# elapsed time with bash integer arithmetic: a fresh Debian has no bc
say() { local ms=$(( ($(date +%s%N) - T0) / 1000000 )); printf '[start-slurm %4d.%01ds] %s\n' $((ms / 1000)) $((ms % 1000 / 100)) "$*"; }
die() { say "ERROR: $*"; exit 1; }
alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
wait_for() { # wait_for SECONDS DESCRIPTION CMD...
  local n=$(( $1 * 4 )) what=$2; shift 2
  for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.25; done
  die "timed out waiting for $what"
}

stop_group() { # TERM all given daemons at once, then wait for each to exit
  local p f pid pids=()
  for p in "$@"; do
    f=$RUN/$p.pid
    [ "$p" = munged ] && f=$RUN/munged.started   # only stop munged if this script started it
    alive "$f" || continue
    pid=$(cat "$f"); kill "$pid" 2>/dev/null || true; pids+=("$p:$pid")
  done
  for e in "${pids[@]}"; do
    p=${e%%:*} pid=${e##*:}
    for _ in $(seq 80); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    if kill -0 "$pid" 2>/dev/null; then say "$p ($pid) did not stop, sending KILL"; kill -9 "$pid" || true; fi
    say "stopped $p ($pid)"
  done
}
stop_all() {
  stop_group slurmrestd slurmd slurmctld   # slurmctld flushes accounting to slurmdbd on exit
  stop_group slurmdbd
  stop_group mysqld munged
  rm -f "$RUN/munged.started"
}

status_all() {
  local p
  for p in munged mysqld slurmdbd slurmctld slurmd slurmrestd; do
    f=$RUN/$p.pid; [ "$p" = munged ] && f=/run/munge/munged.pid
    if alive "$f"; then echo "$p: running (pid $(cat "$f"))"; else echo "$p: not running"; fi
  done
}

case "${1:-start}" in
  stop) stop_all; exit 0 ;;
  status) status_all; exit 0 ;;
  start) ;;
  *) echo "usage: $0 [start|stop|status]" >&2; exit 2 ;;
esac
[ "$(id -u)" = 0 ] || die "must run as root"

# ---------------------------------------------------------------- 1. packages
PKGS=(munge slurmctld slurmd slurm-client)
[ "$WITH_DBD" = 1 ] && PKGS+=(slurmdbd slurm-wlm-mysql-plugin mariadb-server)
[ "$WITH_REST" = 1 ] && PKGS+=(slurmrestd slurm-wlm-jwt-plugin curl)
missing=()
for p in "${PKGS[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing: ${missing[*]}"
  made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then   # keep postinst scripts from starting system services
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; made_policy=1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
  say "packages installed"
fi

# ---------------------------------------------------------------- 2. layout + configs
mkdir -p "$ETC" "$RUN" "$LOG" "$STATE" "$SPOOL" "$BASE/fakegpu" "$BASE/home"
chmod 755 "$BASE" "$ETC" "$BASE/fakegpu"; chmod 1777 "$RUN" "$BASE/home"
chown slurm:slurm "$STATE" "$LOG"; chmod 755 "$LOG"

REALCPUS=$(nproc)
[ "$CPUS" = 0 ] && CPUS=$REALCPUS
GRES_LINE="" GRESTYPES="" TRES=""
if [ "$GPUS" -gt 0 ]; then
  for i in $(seq 0 $((GPUS - 1))); do   # fake GPU device nodes: char devices with /dev/null's numbers
    [ -c "$BASE/fakegpu/nvidia$i" ] || { rm -f "$BASE/fakegpu/nvidia$i"; mknod -m 666 "$BASE/fakegpu/nvidia$i" c 1 3; }
  done
  GRES_LINE="Gres=gpu:$GPUS" GRESTYPES="GresTypes=gpu" TRES="AccountingStorageTRES=gres/gpu"
  cat > "$ETC/gres.conf" <<EOF
AutoDetect=off
NodeName=localhost Name=gpu File=$BASE/fakegpu/nvidia[0-$((GPUS - 1))]
EOF
else
  rm -f "$ETC/gres.conf"
fi

if [ "$WITH_DBD" = 1 ]; then
  ACCT="AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=6819
AccountingStorageEnforce=$ENFORCE
AccountingStoreFlags=job_comment
$TRES"
else
  ACCT="AccountingStorageType=accounting_storage/none"
fi
JWT=""
if [ "$WITH_REST" = 1 ]; then
  [ -s "$STATE/jwt_hs256.key" ] || { dd if=/dev/urandom of="$STATE/jwt_hs256.key" bs=32 count=1 status=none; }
  chown slurm:slurm "$STATE/jwt_hs256.key"; chmod 600 "$STATE/jwt_hs256.key"
  JWT="AuthAltTypes=auth/jwt
AuthAltParameters=jwt_key=$STATE/jwt_hs256.key"
fi

cat > "$ETC/slurm.conf" <<EOF
# generated by start-slurm.sh
ClusterName=$CLUSTER
SlurmctldHost=localhost
SlurmUser=slurm
SlurmdUser=root
AuthType=auth/munge
CryptoType=crypto/munge
$JWT
MpiDefault=none
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=30
ReturnToService=2
SlurmctldPidFile=$RUN/slurmctld.pid
SlurmdPidFile=$RUN/slurmd.pid
SlurmdSpoolDir=$SPOOL
StateSaveLocation=$STATE
SlurmctldLogFile=$LOG/slurmctld.log
SlurmdLogFile=$LOG/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=512
PriorityType=priority/multifactor
PriorityDecayHalfLife=0
PriorityUsageResetPeriod=NONE
MinJobAge=300
$GRESTYPES
$ACCT
JobCompType=jobcomp/filetxt
JobCompLoc=$LOG/jobcomp.txt
SlurmdParameters=config_overrides
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$CPUS Boards=1 SocketsPerBoard=1 CoresPerSocket=$CPUS ThreadsPerCore=1 RealMemory=$MEM_MB $GRES_LINE State=UNKNOWN
PartitionName=cpu Nodes=localhost Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu Nodes=localhost MaxTime=INFINITE State=UP
EOF
chmod 644 "$ETC/slurm.conf"
if [ "$LINK_ETC" = 1 ]; then
  mkdir -p /etc/slurm
  for f in slurm.conf gres.conf slurmdbd.conf; do [ -e "$ETC/$f" ] && ln -sfn "$ETC/$f" "/etc/slurm/$f"; done
fi

# ---------------------------------------------------------------- 3. munge
if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  say "munged already running"
else
  [ -s /etc/munge/munge.key ] || { mungekey --create --force; chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key; }
  install -d -o munge -g munge -m 755 /run/munge
  runuser -u munge -- /usr/sbin/munged
  cp /run/munge/munged.pid "$RUN/munged.started"   # remember we started it (for 'stop')
  wait_for 10 munged sh -c 'munge -n | unmunge'
  say "munged started (pid $(cat /run/munge/munged.pid))"
fi

# ---------------------------------------------------------------- 4. MariaDB + slurmdbd
if [ "$WITH_DBD" = 1 ]; then
  install -d -o mysql -g mysql "$BASE/mysql"
  cat > "$ETC/my.cnf" <<EOF
[mysqld]
datadir=$BASE/mysql
socket=$RUN/mysqld.sock
pid-file=$RUN/mysqld.pid
bind-address=127.0.0.1
port=$DB_PORT
user=mysql
skip-name-resolve
innodb_buffer_pool_size=512M
innodb_log_file_size=64M
innodb_lock_wait_timeout=900
innodb_flush_log_at_trx_commit=2
EOF
  chmod 644 "$ETC/my.cnf"
  if alive "$RUN/mysqld.pid"; then
    say "mariadbd already running"
  else
    if [ ! -d "$BASE/mysql/mysql" ]; then
      mariadb-install-db --defaults-file="$ETC/my.cnf" --user=mysql --auth-root-authentication-method=socket \
        --skip-test-db > "$LOG/mariadb-install.log" 2>&1 || { cat "$LOG/mariadb-install.log"; die "mariadb-install-db failed"; }
    fi
    nohup /usr/sbin/mariadbd --defaults-file="$ETC/my.cnf" > "$LOG/mariadbd.log" 2>&1 &
    wait_for 60 mariadbd mariadb-admin --socket="$RUN/mysqld.sock" -uroot ping
    say "mariadbd started (pid $(cat "$RUN/mysqld.pid"))"
  fi
  mariadb --socket="$RUN/mysqld.sock" -uroot -e "
    CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
    CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '$DB_PASS';
    GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';
    GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';"

  cat > "$ETC/slurmdbd.conf" <<EOF
AuthType=auth/munge
$JWT
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=6819
SlurmUser=slurm
DebugLevel=info
LogFile=$LOG/slurmdbd.log
PidFile=$RUN/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageUser=slurm
StoragePass=$DB_PASS
StorageLoc=slurm_acct_db
EOF
  chown slurm:slurm "$ETC/slurmdbd.conf"; chmod 600 "$ETC/slurmdbd.conf"
  if alive "$RUN/slurmdbd.pid"; then say "slurmdbd already running"; else
    /usr/sbin/slurmdbd
    wait_for 60 slurmdbd sacctmgr -n show cluster
    say "slurmdbd started (pid $(cat "$RUN/slurmdbd.pid"))"
  fi
  sacctmgr -n -P show cluster format=cluster | grep -x "$CLUSTER" >/dev/null || sacctmgr -i add cluster "$CLUSTER" >/dev/null
fi

# ---------------------------------------------------------------- 5. slurmctld + slurmd
if alive "$RUN/slurmctld.pid"; then say "slurmctld already running"; scontrol reconfigure || true; else
  /usr/sbin/slurmctld
  wait_for 60 slurmctld sh -c 'scontrol ping | grep -q UP'
  say "slurmctld started (pid $(cat "$RUN/slurmctld.pid"))"
fi
if alive "$RUN/slurmd.pid"; then say "slurmd already running"; else
  /usr/sbin/slurmd -N localhost
  wait_for 30 "slurmd pid file" test -s "$RUN/slurmd.pid"
  say "slurmd started (pid $(cat "$RUN/slurmd.pid"))"
fi
node_ok() { s=$(sinfo -h -n localhost -o %T | head -1); case "$s" in idle*|mix*|alloc*|completing*) return 0;; esac; return 1; }
for _ in $(seq 120); do
  node_ok && break
  case "$(sinfo -h -n localhost -o %T | head -1)" in drain*|down*|inval*) scontrol update nodename=localhost state=resume 2>/dev/null || true;; esac
  sleep 0.25
done
node_ok || { scontrol show node localhost; tail -20 "$LOG/slurmd.log"; die "node localhost not usable"; }
say "node localhost is $(sinfo -h -n localhost -o %T | head -1)"

# ---------------------------------------------------------------- 6. accounts / users
id "$REST_USER" >/dev/null 2>&1 || useradd -M -d "$BASE/home/$REST_USER" -s /bin/bash "$REST_USER"
install -d -o "$REST_USER" -g "$REST_USER" "$BASE/home/$REST_USER"
if [ "$WITH_DBD" = 1 ]; then
  # grep without -q: with pipefail, grep -q exiting early would SIGPIPE a long sacctmgr listing
  # and make "already there" look like "missing"
  sacctmgr -n -P show account format=account | grep -x ci >/dev/null || sacctmgr -i add account ci Description=ci Organization=ci >/dev/null
  for u in root "$REST_USER"; do
    sacctmgr -n -P show assoc where user="$u" account=ci format=user | grep -x "$u" >/dev/null \
      || sacctmgr -i add user "$u" Account=ci DefaultAccount=ci >/dev/null
  done
  say "accounting: cluster=$CLUSTER account=ci users=root,$REST_USER"
fi

# ---------------------------------------------------------------- 7. slurmrestd (JWT)
REST_URL=""
if [ "$WITH_REST" = 1 ]; then
  REST_URL=http://127.0.0.1:$REST_PORT
  rest_ping() {
    local tok; tok=$(scontrol token username="$REST_USER" lifespan=120 | sed 's/^SLURM_JWT=//')
    curl -sf -H "X-SLURM-USER-NAME: $REST_USER" -H "X-SLURM-USER-TOKEN: $tok" "$REST_URL/slurm/v0.0.38/ping" | grep -q '"UP"'
  }
  if alive "$RUN/slurmrestd.pid"; then say "slurmrestd already running"; else
    # must not run as root/SlurmUser; SLURM_JWT=daemon makes it use auth/jwt toward slurmctld
    SLURM_JWT=daemon nohup /usr/sbin/slurmrestd -u nobody -a rest_auth/jwt "127.0.0.1:$REST_PORT" \
      > "$LOG/slurmrestd.log" 2>&1 &
    echo $! > "$RUN/slurmrestd.pid"
    wait_for 30 slurmrestd rest_ping
    say "slurmrestd started (pid $(cat "$RUN/slurmrestd.pid")) on $REST_URL"
  fi
fi

cat > "$BASE/env.sh" <<EOF
export SLURM_CONF=$SLURM_CONF
export SLURMRESTD_URL=$REST_URL
export SLURMRESTD_USER=$REST_USER
# REST token: scontrol token username=\$SLURMRESTD_USER lifespan=3600  (do NOT export it as SLURM_JWT
# in the shell that runs sbatch/sacct: that switches the CLI tools to JWT auth)
EOF
say "cluster ready; . $BASE/env.sh"
sinfo
