#!/usr/bin/env bash
# The ivrsync action's main step: run one ivrsync command the way CI needs it, with annotations,
# the job summary and the files later steps use (the comment body, the artifact).
#
#   usage: run_ivrsync.sh plan|apply|drift|validate|test
#
# Reads (all optional): CONFIG_DIR and STATE (the action's inputs: the config folder and the state
# file, else ivrsync's settings decide), IVRSYNC_OUT (folder for plan.json, plan.md, drift.md,
# apply.log and a copy of the state; default $RUNNER_TEMP/ivrsync), ALLOW_MASS_CHANGE (true: pass --allow-mass-change to apply), DRIFT (apply:
# refuse, overwrite or warn when the live account drifted; default refuse), HEAD_SHA and RUN_URL
# (named in the plan's footer), GITHUB_STEP_SUMMARY and GITHUB_OUTPUT (as the runner sets them).
# Writes the outputs `exit-code`, `out` (the folder of files), `changes` (plan: true when the plan
# has changes), `drift` (drift, apply: true when the live account drifted), `report` (the markdown
# file for the summary and the comment), `state-dir`, `config-dir` (apply: the IVR files, which
# gain `id:` lines when apply creates IVRs) and `sent` (apply: true once apply ran, so the state
# must be committed back whatever its outcome).
# Exit: ivrsync's exit code (drift found is 1, so the job fails visibly); 2 for bad usage.
set -uo pipefail

command=${1:-}
out=${IVRSYNC_OUT:-${RUNNER_TEMP:-/tmp}/ivrsync}
summary=${GITHUB_STEP_SUMMARY:-/dev/null}
outputs=${GITHUB_OUTPUT:-/dev/null}
mkdir -p "$out"
[ -n "${CONFIG_DIR:-}" ] && export IVRSYNC_CONFIG_DIR="$CONFIG_DIR"
[ -n "${STATE:-}" ] && export IVRSYNC_STATE="$STATE"
state_file=${IVRSYNC_STATE:-.ivrsync/state.json}
config_dir=${IVRSYNC_CONFIG_DIR:-ivr-configs}

output() { echo "$1=$2" >> "$outputs"; }
output out "$out"

finish() {
    output exit-code "$1"
    exit "$1"
}

footer() {
    if [ -n "${HEAD_SHA:-}" ] && [ -n "${RUN_URL:-}" ]; then
        printf '\n<sub>For %s, from [this run](%s).</sub>\n' "$HEAD_SHA" "$RUN_URL"
    fi
}

run_validate() {
    ivrsync validate --format github
}

run_plan() {
    local code=0 plan_code=0
    ivrsync validate --format github || code=$?
    if [ "$code" -eq 0 ]; then
        ivrsync plan --format markdown --detailed-exitcode --out "$out/plan.json" \
            > "$out/plan.md" || plan_code=$?
        case "$plan_code" in
            0) output changes false ;;
            2) output changes true ;;
            *) code=$plan_code ;;
        esac
    fi
    if [ "$code" -ne 0 ]; then
        # Never leave the last push's plan standing: the comment says there is none.
        rm -f "$out/plan.json"
        local run_link="this run"
        [ -n "${RUN_URL:-}" ] && run_link="[this run]($RUN_URL)"
        {
            echo '<!-- ivrsync-plan -->'
            echo '### ivrsync: no plan'
            echo
            echo "The configuration did not validate or the plan failed; see the annotations and"
            echo "the log of ${run_link}. Fix the files and push again."
        } > "$out/plan.md"
    fi
    footer >> "$out/plan.md"
    cat "$out/plan.md" >> "$summary"
    output report "$out/plan.md"
    return "$code"
}

# Drift check: 0 in sync, 2 drift found, other codes failed. Writes drift.md and the summary.
check_drift() {
    local code=0
    ivrsync drift --format markdown --detailed-exitcode > "$out/drift.md" || code=$?
    cat "$out/drift.md" >> "$summary"
    output report "$out/drift.md"
    case "$code" in
        0) output drift false ;;
        2) output drift true ;;
    esac
    return "$code"
}

run_drift() {
    local code=0
    check_drift || code=$?
    case "$code" in
        0) echo "No drift: the Smartflo portal matches the last-applied state." ;;
        2)
            echo "::error title=Drift found::The Smartflo portal and the repository disagree. See the job summary; then either copy the portal's change into the YAML (ivrsync import --id ID --force, by pull request) or re-apply the YAML."
            code=1 ;;
        *) echo "::error title=Drift check failed::ivrsync drift exited with $code; see the log." ;;
    esac
    return "$code"
}

run_apply() {
    local code=0 drift_code=0
    local -a args=(apply --auto-approve)
    [ "${ALLOW_MASS_CHANGE:-false}" = true ] && args+=(--allow-mass-change)
    case "${DRIFT:-refuse}" in
        overwrite) ;;
        refuse | warn)
            check_drift || drift_code=$?
            if [ "$drift_code" -eq 2 ] && [ "${DRIFT:-refuse}" = refuse ]; then
                echo "::error title=Apply refused: the portal drifted::Someone changed IVRs in the Smartflo portal since the last apply (see the job summary). Copy their change into the YAML (ivrsync import --id ID --force, by pull request), or run this workflow by hand with drift handling 'overwrite'. Nothing was sent."
                return 1
            elif [ "$drift_code" -eq 2 ]; then
                echo "::warning title=Portal changes overwritten::The apply replaces changes made in the Smartflo portal since the last apply; they are listed in the job summary."
            elif [ "$drift_code" -ne 0 ]; then
                echo "::error title=Drift check failed::ivrsync drift exited with $drift_code; nothing was sent."
                return "$drift_code"
            fi ;;
        *)
            echo "::error title=Bad input::drift must be refuse, overwrite or warn, not '${DRIFT}'"
            return 2 ;;
    esac
    output state-dir "$(dirname "$state_file")"
    output config-dir "$config_dir"
    output sent true
    ivrsync "${args[@]}" 2>&1 | tee "$out/apply.log"
    code=${PIPESTATUS[0]}
    # The state as this run left it, in the artifact too: if the commit back fails, it is here.
    mkdir -p "$out/state"
    cp -p "$state_file" "$state_file.journal" "$out/state/" 2>/dev/null || true
    {
        echo "### ivrsync apply"
        echo
        echo '```'
        tail -n 200 "$out/apply.log"
        echo '```'
        footer
    } >> "$summary"
    return "$code"
}

run_test() {
    if ! ivrsync test --help > /dev/null 2>&1; then
        echo "::error title=No ivrsync test::This ivrsync has no 'test' command; install a release that has it (input ivrsync-version)."
        return 2
    fi
    # Annotations on the files, then the results (with each caller's path) in the job summary.
    local result=0
    ivrsync test --format github || result=$?
    ivrsync test --format markdown >> "$summary" || true
    return "$result"
}

status=0
case "$command" in
    validate) run_validate || status=$? ;;
    plan) run_plan || status=$? ;;
    apply) run_apply || status=$? ;;
    drift) run_drift || status=$? ;;
    test) run_test || status=$? ;;
    *)
        echo "::error title=Bad input::command must be plan, apply, drift, validate or test, not '$command'"
        status=2 ;;
esac
finish "$status"
