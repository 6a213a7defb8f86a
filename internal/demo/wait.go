package demo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	entrav1alpha1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
)

// readyPollInterval is how often the demo looks at the AppRegistrations while it waits.
const readyPollInterval = 250 * time.Millisecond

// readiness is one AppRegistration as the wait last saw it.
type readiness struct {
	obj entrav1alpha1.AppRegistration
	// after is how long after appliedAt the demo first saw it Ready.
	after time.Duration
}

// isReady reports whether obj's Ready condition is True for its current generation (kstatus' rule: a
// Ready condition about an older spec says nothing about this one).
func isReady(obj *entrav1alpha1.AppRegistration) bool {
	c := meta.FindStatusCondition(obj.Status.Conditions, entrav1alpha1.ConditionReady)
	return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == obj.Generation
}

// waitReady waits until every AppRegistration in the cluster is Ready, or fails with why each one
// that is not is not, when timeout passes, ctx ends or the manager exits. appliedAt is when the
// samples were applied, which Ready times are measured from.
func waitReady(ctx context.Context, c client.Client, manager *child, timeout time.Duration, appliedAt time.Time) ([]readiness, error) {
	readyAfter := map[string]time.Duration{}
	var out []readiness
	err := pollUntil(ctx, manager, timeout, func() (bool, error) {
		var list entrav1alpha1.AppRegistrationList
		if err := c.List(ctx, &list); err != nil {
			return false, fmt.Errorf("listing AppRegistrations: %w", err)
		}
		out = make([]readiness, 0, len(list.Items))
		pending := 0
		for _, obj := range list.Items {
			key := obj.Namespace + "/" + obj.Name
			if _, seen := readyAfter[key]; !seen && isReady(&obj) {
				readyAfter[key] = time.Since(appliedAt)
			}
			if !isReady(&obj) {
				pending++
			}
			out = append(out, readiness{obj: obj, after: readyAfter[key]})
		}
		return len(out) > 0 && pending == 0, nil
	}, func() error { return notReadyError(out, timeout) })
	return out, err
}

// pollUntil calls check every readyPollInterval until it reports done or fails, ctx ends, the
// manager exits, or timeout passes, which ends in expired's error.
func pollUntil(ctx context.Context, manager *child, timeout time.Duration, check func() (bool, error), expired func() error) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(readyPollInterval)
	defer tick.Stop()
	for {
		if done, err := check(); done || err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-manager.done:
			return manager.exitError()
		case <-deadline.C:
			return expired()
		case <-tick.C:
		}
	}
}

// notReadyError names every AppRegistration that is not Ready, with its condition's reason and message.
func notReadyError(seen []readiness, timeout time.Duration) error {
	if len(seen) == 0 {
		return fmt.Errorf("no AppRegistration appeared within %s", timeout)
	}
	var lines []string
	for _, r := range seen {
		if isReady(&r.obj) {
			continue
		}
		state := "no Ready condition yet"
		if c := meta.FindStatusCondition(r.obj.Status.Conditions, entrav1alpha1.ConditionReady); c != nil {
			state = fmt.Sprintf("Ready=%s reason=%s: %s", c.Status, c.Reason, c.Message)
		}
		lines = append(lines, fmt.Sprintf("%s/%s: %s", r.obj.Namespace, r.obj.Name, state))
	}
	return errors.New("not Ready within " + timeout.String() + ":\n" + indent(strings.Join(lines, "\n"), "    "))
}
