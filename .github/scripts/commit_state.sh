#!/usr/bin/env bash
# Commit the state folder back to BRANCH after an apply, and push it, rebasing and retrying when
# the branch moved meanwhile (someone merged during the apply). The ivrsync action's apply runs it.
#
#   usage: commit_state.sh STATE_DIR BRANCH [REMOTE]
#
# The commit is by github-actions[bot] (override with GIT_AUTHOR_NAME / GIT_AUTHOR_EMAIL) and its
# message carries `[skip ci]`, so it starts no workflow. It commits every change under STATE_DIR:
# the state file, a journal left by an interrupted apply (acknowledged updates not yet merged
# into the state; the next ivrsync run replays it) and the create intents of creates not yet
# finished, never the lock file. With CONFIG_DIR set, the same one commit also holds the IVR
# files there that apply edited (the `id: N` line of each IVR it created); only files git already
# tracks, so nothing unreviewed is ever committed.
#
# A push refused for good (a protected branch or ruleset, a token without `contents: write`: told
# from git's error text) fails at once, saying what to do, and is never retried. A push refused
# because the branch moved is rebased and retried. If it still fails after COMMIT_STATE_ATTEMPTS
# tries (default 5), or the rebase conflicts (someone edited the state file by hand), or the
# branch is protected, the commit is pushed to a rescue branch `ivrsync-state/<timestamp>` and the
# script fails saying so: the acknowledged updates are never lost, and a person merges that branch.
#
# With COMMIT_STATE_VIA=pull-request the commit goes to a new branch `ivrsync-state/<timestamp>`
# and a pull request into BRANCH is opened and set to merge automatically (`gh`, with GH_TOKEN):
# the way to record the state when nobody may push to a protected BRANCH.
# Exit: 0 committed and pushed (or the pull request opened), or nothing to commit; 1 not pushed to
# BRANCH (see the message).
set -euo pipefail

if [ "$#" -lt 2 ] || [ "$#" -gt 3 ]; then
    echo "usage: commit_state.sh STATE_DIR BRANCH [REMOTE]" >&2
    exit 2
fi
state_dir=$1
branch=$2
remote=${3:-origin}
attempts=${COMMIT_STATE_ATTEMPTS:-5}

export GIT_AUTHOR_NAME="${GIT_AUTHOR_NAME:-github-actions[bot]}"
export GIT_AUTHOR_EMAIL="${GIT_AUTHOR_EMAIL:-41898282+github-actions[bot]@users.noreply.github.com}"
export GIT_COMMITTER_NAME="${GIT_COMMITTER_NAME:-$GIT_AUTHOR_NAME}"
export GIT_COMMITTER_EMAIL="${GIT_COMMITTER_EMAIL:-$GIT_AUTHOR_EMAIL}"

# No state folder at all: the apply failed before recording anything (say, invalid configs in a
# repository that has no state yet). Nothing to commit, and `git add` would fail on the pathspec.
if [ ! -e "$state_dir" ] && [ -z "$(git ls-files -- "$state_dir")" ]; then
    echo "commit_state: no $state_dir; nothing to commit"
    exit 0
fi

# Never a lock file, even where .gitignore does not say so: a lock committed by a killed run would
# block every later apply.
git add -A -- "$state_dir" ":(exclude)$state_dir/*.lock"
paths=("$state_dir")
if [ -n "${CONFIG_DIR:-}" ] && [ -d "$CONFIG_DIR" ]; then
    git add -u -- "$CONFIG_DIR"
    paths+=("$CONFIG_DIR")
fi
if git diff --cached --quiet -- "${paths[@]}"; then
    echo "commit_state: ${paths[*]} unchanged; nothing to commit"
    exit 0
fi
git commit --quiet -m "ivrsync: record applied state [skip ci]" \
    -m "${COMMIT_STATE_NOTE:-Recorded by ivrsync apply.}" -- "${paths[@]}"

stamp=$(date -u +%Y%m%dT%H%M%SZ)
push_errors=$(mktemp)
trap 'rm -f "$push_errors"' EXIT

# Prints why a push was refused for good, or nothing when it may succeed later (the branch moved,
# or the network failed). GitHub's own words: GH006 for branch protection, GH013 for rulesets.
permanent_refusal() {
    if grep -Eqi 'GH006|GH013|protected branch|repository rule violation|must be made through a pull request' "$push_errors"; then
        echo protected
    elif grep -Eqi 'permission to .* denied|returned error: 403|write access to repository not granted|resource not accessible by integration' "$push_errors"; then
        echo permission
    fi
}

rescue() {
    local rescue_branch="ivrsync-state/$stamp"
    if git push --quiet "$remote" "HEAD:refs/heads/$rescue_branch"; then
        echo "::error title=State not committed to $branch::The applied state is on branch $rescue_branch;" \
            "merge it into $branch before the next apply (it records updates Smartflo accepted)." >&2
    else
        echo "::error title=State not committed::Could not push the applied state anywhere; download" \
            "the ivrsync-state artifact of this run and commit it to $branch by hand." >&2
    fi
    exit 1
}

if [ "${COMMIT_STATE_VIA:-push}" = pull-request ]; then
    state_branch="ivrsync-state/$stamp"
    git push --quiet "$remote" "HEAD:refs/heads/$state_branch"
    gh pr create --base "$branch" --head "$state_branch" \
        --title "ivrsync: record applied state" \
        --body "${COMMIT_STATE_NOTE:-Recorded by ivrsync apply.} Merge it before the next apply: it records updates Smartflo accepted."
    if ! gh pr merge --auto --squash "$state_branch"; then
        echo "::warning title=State pull request not set to merge::Merge the pull request from" \
            "$state_branch by hand, or allow auto-merge (Settings > General)." >&2
    fi
    echo "commit_state: pull request from $state_branch into $branch opened"
    exit 0
fi

for attempt in $(seq 1 "$attempts"); do
    if git push --quiet "$remote" "HEAD:refs/heads/$branch" 2>"$push_errors"; then
        echo "commit_state: pushed $(git rev-parse --short HEAD) to $branch (attempt $attempt)"
        exit 0
    fi
    cat "$push_errors" >&2
    case "$(permanent_refusal)" in
        protected)
            echo "::error title=$branch is protected::The token may not push the state to $branch." \
                "Let the bot bypass the rule (a GitHub App in the ruleset's bypass list), or record" \
                "the state by pull request (the action's input state-commit: pull-request); see the" \
                "README's 'A protected default branch'." >&2
            rescue ;;
        permission)
            echo "::error title=No permission to push::The workflow's token may not push to $branch:" \
                "give the apply workflow 'permissions: contents: write' (for a GitHub App token," \
                "the app's Contents permission, read and write)." >&2
            echo "::error title=State not committed::Download the ivrsync-state artifact of this run" \
                "and commit it to $branch by hand." >&2
            exit 1 ;;
    esac
    echo "commit_state: push rejected (attempt $attempt of $attempts); rebasing on $remote/$branch"
    git fetch --quiet "$remote" "$branch"
    if ! git rebase --quiet FETCH_HEAD; then
        git rebase --abort
        echo "commit_state: the state commit conflicts with $branch" >&2
        break
    fi
done

rescue
