# Source this file (bash): it puts Node.js 24 LTS first on PATH when the Node found is older.
#
#   . .ci/use-node.sh
#
# Node comes from the npm registry, which carries the official binaries as node-<os>-<arch>@24.
# It is installed once into a cache folder outside the clone and reused while it is there:
#   ${COUNTERSIGN_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/countersign}/node-24-<os>-<arch>
# npm_config_nodedir is pointed at that Node's headers too, so native addons (better-sqlite3)
# that build from source build for the Node that runs them.
# When Node 24 cannot be had, this says why and returns 1: there is no falling back to an older Node.

countersign_use_node() {
  local wanted=24 found
  found=$(node -p 'process.versions.node' 2>/dev/null) || found=none
  if [ "$found" != none ] && [ "${found%%.*}" -ge "$wanted" ]; then
    echo "Node $found (>= $wanted, used as it is)"
    return 0
  fi

  local os arch
  case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    *) echo "use-node: no Node $wanted package for $(uname -s); install Node $wanted LTS and put it first on PATH" >&2; return 1 ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "use-node: no Node $wanted package for $(uname -m); install Node $wanted LTS and put it first on PATH" >&2; return 1 ;;
  esac

  local package="node-$os-$arch"
  local cache="${COUNTERSIGN_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/countersign}"
  local home="$cache/node-$wanted-$os-$arch"
  local bin="$home/node_modules/$package/bin"

  if [ ! -x "$bin/node" ]; then
    echo "Node $found is older than $wanted: installing $package@$wanted from the npm registry into $home"
    mkdir -p "$cache" || return 1
    # Into a fresh folder first, moved into place whole: an interrupted install is never "present".
    local staging
    staging=$(mktemp -d "$cache/.node-$wanted-XXXXXX") || return 1
    local log="$staging.log"
    if ! npm_config_fetch_retries="${npm_config_fetch_retries:-1}" npm install --prefix "$staging" \
      --no-save --no-package-lock --no-audit --no-fund "$package@$wanted" >"$log" 2>&1 ||
      [ ! -x "$staging/node_modules/$package/bin/node" ]; then
      echo "use-node: could not install $package@$wanted from the npm registry ($(npm config get registry 2>/dev/null)):" >&2
      grep -m 3 -E 'npm (error|ERR!)' "$log" >&2 || tail -n 3 "$log" >&2
      echo "use-node: Node $wanted is needed (found Node $found); install Node $wanted LTS and put it first on PATH" >&2
      rm -rf "$staging" "$log"
      return 1
    fi
    rm -rf "$home" && mv "$staging" "$home" && rm -f "$log" || return 1
  fi

  export PATH="$bin:$PATH"
  export npm_config_nodedir="$home/node_modules/$package"
  hash -r
  echo "Node $(node -p 'process.versions.node') from $bin (the machine has Node $found)"
}

countersign_use_node
