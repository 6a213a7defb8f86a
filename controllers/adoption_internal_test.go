package controllers

import (
	"testing"

	"k8s.io/apimachinery/pkg/types"

	entrav1alpha1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/desired"
	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
)

func TestOwnerOfAnAdoptedApplicationFollowsItsTags(t *testing.T) {
	const uid, other = types.UID("11111111-1111-1111-1111-111111111111"), types.UID("22222222-2222-2222-2222-222222222222")
	cases := []struct {
		name string
		app  graph.Application
		want owner
	}{
		{"no tags", graph.Application{}, ownerNone},
		{"only the approval and a team's tags", graph.Application{Tags: []string{"team:crm", entrav1alpha1.AdoptionTag("crm", "espo")}}, ownerNone},
		{"this object's mark", graph.Application{Tags: []string{"team:crm", entrav1alpha1.OwnerTag(uid)}}, ownerThis},
		{"this object's mark in another case", graph.Application{Tags: []string{"ENTRA-SSO-OPERATOR:OWNER:" + string(uid)}}, ownerThis},
		{"another object's mark", graph.Application{Tags: []string{entrav1alpha1.OwnerTag(other)}}, ownerAnother},
		{"two marks", graph.Application{Tags: []string{entrav1alpha1.OwnerTag(uid), entrav1alpha1.OwnerTag(other)}}, ownerAnother},
		{"an empty mark is no mark", graph.Application{Tags: []string{entrav1alpha1.OwnerTagPrefix}}, ownerNone},
		{"made by the operator for an object", graph.Application{UniqueName: desired.UniqueName(string(other)), Tags: []string{entrav1alpha1.OwnerTag(uid)}}, ownerAnother},
		{"a unique name of someone else's", graph.Application{UniqueName: "made-by-a-script", Tags: []string{entrav1alpha1.OwnerTag(uid)}}, ownerThis},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := ownerOf(c.app, uid); got != c.want {
				t.Errorf("ownerOf = %d, want %d", got, c.want)
			}
		})
	}
}
