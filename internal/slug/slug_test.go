package slug

import "testing"

func TestMake(t *testing.T) {
	for in, want := range map[string]string{
		"Billing":              "billing",
		"  Billing & Refunds ": "billing-refunds",
		"VIP--Customers!!":     "vip-customers",
		"Tier 2":               "tier-2",
		"Ünïcode Straße":       "ünïcode-straße",
		"支持":                   "支持",
		"!!!":                  "",
		"":                     "",
	} {
		if got := Make(in); got != want {
			t.Errorf("Make(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestValid(t *testing.T) {
	for s, want := range map[string]bool{
		"billing": true, "tier-2": true, "支持": true,
		"": false, "Billing": false, "-billing": false, "billing-": false, "a--b": false, "a b": false, "a_b": false,
	} {
		if got := Valid(s); got != want {
			t.Errorf("Valid(%q) = %v, want %v", s, got, want)
		}
	}
}
