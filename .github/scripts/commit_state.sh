#!/usr/bin/env bash
# Commit the state folder back to BRANCH after an apply, and push it, rebasing and retrying when
# the branch moved meanwhile (someone merged during the apply).
#
#   usage: commit_state.sh STATE_DIR BRANCH [REMOTE]
#
# The commit is by github-actions[bot] (override with GIT_AUTHOR_NAME / GIT_AUTHOR_EMAIL) and its
# message carries `[skip ci]`, so it starts no workflow. It commits every change under STATE_DIR:
# the state file, and a journal left by an interrupted apply (acknowledged updates not yet merged
# into the state; the next ivrsync run replays it), never the lock file.
#
# If the push still fails after COMMIT_STATE_ATTEMPTS tries (default 5), or the rebase conflicts
# (someone edited the state file by hand), the commit is pushed to a rescue branch
# `ivrsync-state/<timestamp>` and the script fails saying so: the acknowledged updates are never
# lost, and a person merges that branch.
# Exit: 0 committed and pushed, or nothing to commit; 1 not pushed to BRANCH (see the message).
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
if git diff --cached --quiet -- "$state_dir"; then
    echo "commit_state: $state_dir unchanged; nothing to commit"
    exit 0
fi
git commit --quiet -m "ivrsync: record applied state [skip ci]" \
    -m "${COMMIT_STATE_NOTE:-Recorded by ivrsync apply.}" -- "$state_dir"

for attempt in $(seq 1 "$attempts"); do
    if git push --quiet "$remote" "HEAD:refs/heads/$branch"; then
        echo "commit_state: pushed $(git rev-parse --short HEAD) to $branch (attempt $attempt)"
        exit 0
    fi
    echo "commit_state: push rejected (attempt $attempt of $attempts); rebasing on $remote/$branch"
    git fetch --quiet "$remote" "$branch"
    if ! git rebase --quiet FETCH_HEAD; then
        git rebase --abort
        echo "commit_state: the state commit conflicts with $branch" >&2
        break
    fi
done

rescue="ivrsync-state/$(date -u +%Y%m%dT%H%M%SZ)"
if git push --quiet "$remote" "HEAD:refs/heads/$rescue"; then
    echo "::error title=State not committed to $branch::The applied state is on branch $rescue;" \
        "merge it into $branch before the next apply (it records updates Smartflo accepted)." >&2
else
    echo "::error title=State not committed::Could not push the applied state anywhere; download" \
        "the ivrsync-state artifact of this run and commit it to $branch by hand." >&2
fi
exit 1
