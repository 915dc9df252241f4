package web

import (
	"encoding/json"
	"net/http"

	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/webhook"
)

// webhookBody is the request body of a webhook. The events stay raw until each is decoded
// on its own, so that an error names its place (events.2).
type webhookBody struct {
	URL      *string            `json:"url"`
	Events   *[]json.RawMessage `json:"events"`
	Secret   *string            `json:"secret"`
	IsActive *bool              `json:"is_active"`
}

func decodeWebhook(r *http.Request) (webhook.Input, error) {
	var body webhookBody
	if err := decode(r, &body); err != nil {
		return webhook.Input{}, err
	}
	in := webhook.Input{URL: body.URL, Secret: body.Secret, IsActive: body.IsActive}
	var err error
	in.Events, err = decodeItems[string](body.Events, "events")
	return in, err
}

func (s *Server) adminWebhookIndex(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	list, err := s.Webhooks.List(r.Context(), a)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, list)
}

// adminWebhookStore answers with the webhook and, this one time, its secret.
func (s *Server) adminWebhookStore(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	in, err := decodeWebhook(r)
	if err != nil {
		return err
	}
	created, err := s.Webhooks.Create(r.Context(), a, in)
	if err != nil {
		return err
	}
	return data(w, http.StatusCreated, created)
}

func (s *Server) adminWebhookShow(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := pathID(r, "webhook", "Webhook")
	if err != nil {
		return err
	}
	hook, err := s.Webhooks.Get(r.Context(), a, id)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, hook)
}

// adminWebhookUpdate serves PUT and PATCH alike: fields left out of the body are kept.
func (s *Server) adminWebhookUpdate(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := pathID(r, "webhook", "Webhook")
	if err != nil {
		return err
	}
	in, err := decodeWebhook(r)
	if err != nil {
		return err
	}
	hook, err := s.Webhooks.Update(r.Context(), a, id, in)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, hook)
}

func (s *Server) adminWebhookDestroy(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := pathID(r, "webhook", "Webhook")
	if err != nil {
		return err
	}
	if err := s.Webhooks.Delete(r.Context(), a, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// adminWebhookDeliveries pages through the delivery log, newest first, optionally only the
// delivered or failed attempts (?status=).
func (s *Server) adminWebhookDeliveries(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := pathID(r, "webhook", "Webhook")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	page, perPage, err := pageParams(q)
	if err != nil {
		return err
	}
	log, err := s.Webhooks.Deliveries(r.Context(), a, id, q.Get("status"), page, perPage)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, paginator(r, log.Items, log.Total, page, perPage))
	return nil
}

// adminWebhookRedeliver sends a logged delivery again. The delivery is one attempt, made
// by the background jobs: the answer is 202 and the outcome shows in the log.
func (s *Server) adminWebhookRedeliver(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := pathID(r, "webhook", "Webhook")
	if err != nil {
		return err
	}
	return s.redeliver(w, r, a, id)
}

// adminWebhookRetry is the frontend's route for a redelivery, which names the delivery alone.
func (s *Server) adminWebhookRetry(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return s.redeliver(w, r, a, 0)
}

func (s *Server) redeliver(w http.ResponseWriter, r *http.Request, a *auth.Actor, webhookID int64) error {
	deliveryID, err := pathID(r, "delivery", "Delivery")
	if err != nil {
		return err
	}
	if err := noFields(r); err != nil {
		return err
	}
	q, err := s.Webhooks.Redeliver(r.Context(), a, webhookID, deliveryID)
	if err != nil {
		return err
	}
	return data(w, http.StatusAccepted, q)
}

// adminWebhookTest sends the webhook a webhook.test event; like a redelivery it is queued.
func (s *Server) adminWebhookTest(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := pathID(r, "webhook", "Webhook")
	if err != nil {
		return err
	}
	if err := noFields(r); err != nil {
		return err
	}
	q, err := s.Webhooks.SendTest(r.Context(), a, id)
	if err != nil {
		return err
	}
	return data(w, http.StatusAccepted, q)
}
