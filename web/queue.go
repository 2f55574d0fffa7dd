package web

import (
	"net/http"
	"strconv"

	"github.com/ttp0/drone/drone"
)

// Job states of the queue page: waiting (due or scheduled), retrying after
// a failure, and dead (out of attempts, or cancelled by their worker).
var (
	waitingStates  = []string{"available", "scheduled", "pending", "running"}
	retryingStates = []string{"retryable"}
	deadStates     = []string{"discarded", "cancelled"}
)

// queueLimit bounds the jobs listed per state.
const queueLimit = 200

type queueData struct {
	Available               bool
	Waiting, Retrying, Dead []drone.JobInfo
	Retried                 string
}

// queuePage lists the jobs waiting, retrying and dead with their last
// error, for console administrators.
func (c *Console) queuePage(w http.ResponseWriter, r *http.Request, u *user) {
	d := queueData{Available: c.queue != nil, Retried: r.URL.Query().Get("retried")}
	if c.queue != nil {
		var err error
		ctx := r.Context()
		if d.Waiting, err = c.queue.Jobs(ctx, queueLimit, waitingStates...); err == nil {
			if d.Retrying, err = c.queue.Jobs(ctx, queueLimit, retryingStates...); err == nil {
				d.Dead, err = c.queue.Jobs(ctx, queueLimit, deadStates...)
			}
		}
		if err != nil {
			c.internal(w, r, u, err)
			return
		}
	}
	c.render(w, r, u, http.StatusOK, "queue", "Queue", d)
}

// retryJob makes a dead job due again with a full set of attempts.
func (c *Console) retryJob(w http.ResponseWriter, r *http.Request, u *user) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || c.queue == nil {
		c.notFound(w, r, u)
		return
	}
	job, err := c.queue.RetryJob(r.Context(), id)
	if err != nil {
		c.failErr(w, r, u, err)
		return
	}
	c.log.Info("web console: job retried", "job", job.ID, "kind", job.Kind, "by", u.actor.Identity())
	http.Redirect(w, r, "/queue?retried="+strconv.FormatInt(job.ID, 10), http.StatusSeeOther)
}
