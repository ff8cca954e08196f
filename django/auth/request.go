package auth

import (
	"errors"
	"net/http"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/django/csrf"
)

// LoginRequest is django.contrib.auth.login(request, user, backend) for a
// request that went through django.Middleware: Login on its session, then
// csrf.RotateToken, as Django's login rotates the CSRF secret (when the
// request also went through csrf.Middleware; without it there is no token
// to rotate).
func (a *Auth) LoginRequest(r *http.Request, user *User, backend string) error {
	sess := django.FromRequest(r)
	if sess == nil {
		return errors.New("auth: the request did not pass through django.Middleware")
	}
	if err := a.Login(r.Context(), sess, user, backend); err != nil {
		return err
	}
	if err := csrf.RotateToken(r); err != nil && !errors.Is(err, csrf.ErrNoMiddleware) {
		return err
	}
	return nil
}

// LogoutRequest is django.contrib.auth.logout(request).
func (a *Auth) LogoutRequest(r *http.Request) error {
	sess := django.FromRequest(r)
	if sess == nil {
		return errors.New("auth: the request did not pass through django.Middleware")
	}
	return a.Logout(r.Context(), sess)
}

// UserFromRequest is get_user(request) for a request that went through
// django.Middleware: the logged-in user, or nil.
func (a *Auth) UserFromRequest(r *http.Request) (*User, error) {
	sess := django.FromRequest(r)
	if sess == nil {
		return nil, errors.New("auth: the request did not pass through django.Middleware")
	}
	return a.GetUser(r.Context(), sess)
}
