package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/ttp0/drone/drone"
)

type accountsData struct {
	Accounts []drone.Account
	TLPs     []string
	Values   map[string]string
	Errors   map[string]string
	Added    string
	Changed  string
}

// accountsPage lists the console's accounts, with the form to add one,
// for console administrators.
func (c *Console) accountsPage(w http.ResponseWriter, r *http.Request, u *user) {
	c.showAccounts(w, r, u, http.StatusOK, map[string]string{"clearance": "AMBER"}, nil)
}

func (c *Console) showAccounts(w http.ResponseWriter, r *http.Request, u *user, status int, values, errs map[string]string) {
	accs, err := c.accounts.ListAccounts(r.Context())
	if err != nil {
		c.internal(w, r, u, err)
		return
	}
	c.render(w, r, u, status, "accounts", "Accounts", accountsData{Accounts: accs, TLPs: c.svc.Framework.TLP,
		Values: values, Errors: errs, Added: r.URL.Query().Get("added"), Changed: r.URL.Query().Get("changed")})
}

// NewAccount checks and builds an account from what an administrator gave.
// It returns the messages per field ("name", "password", "clearance",
// "roles") when something is wrong. drone user add uses it too.
func NewAccount(fw drone.Framework, name, display, password, clearance string, roles []string) (drone.Account, map[string]string) {
	errs := map[string]string{}
	name = NormaliseName(name)
	if err := CheckName(name); err != nil {
		errs["name"] = err.Error()
	}
	if err := CheckPassword(name, password); err != nil {
		errs["password"] = err.Error()
	}
	level, err := fw.TLPLevel(clearance)
	if err != nil {
		errs["clearance"] = drone.ErrorMessage(err)
	}
	rs, msg := parseRoles(roles)
	if msg != "" {
		errs["roles"] = msg
	}
	return drone.Account{Name: name, DisplayName: strings.TrimSpace(display), Roles: rs, Clearance: level}, errs
}

// parseRoles reads console roles given one by one or separated by commas.
func parseRoles(roles []string) (rs []string, problem string) {
	rs = []string{}
	for _, r := range roles {
		for _, x := range strings.Split(r, ",") {
			if x = strings.TrimSpace(x); x != "" {
				if strings.ContainsAny(x, ": ") {
					problem = "a console role is one word, such as responders or admin: drone's roles name it as web:group:ROLE"
				}
				if !slices.Contains(rs, x) {
					rs = append(rs, x)
				}
			}
		}
	}
	return rs, problem
}

// AccountChange is what an administrator changes of an account: each
// field set is applied, the others are left.
type AccountChange struct {
	Roles     *[]string // the new console roles, each one or several separated by commas
	Clearance *string   // the new clearance, a TLP level
}

// EditAccount checks a change and applies it to acc. It returns the
// messages per field ("roles", "clearance") when something is wrong, and
// leaves acc as it was then. drone user set uses it too.
func EditAccount(fw drone.Framework, acc *drone.Account, ch AccountChange) map[string]string {
	errs := map[string]string{}
	roles, clearance := acc.Roles, acc.Clearance
	if ch.Roles != nil {
		var msg string
		if roles, msg = parseRoles(*ch.Roles); msg != "" {
			errs["roles"] = msg
		}
	}
	if ch.Clearance != nil {
		level, err := fw.TLPLevel(*ch.Clearance)
		if err != nil {
			errs["clearance"] = drone.ErrorMessage(err)
		}
		clearance = level
	}
	if len(errs) == 0 {
		acc.Roles, acc.Clearance = roles, clearance
	}
	return errs
}

// editAccount changes an account's roles and clearance from the accounts
// page. The change holds from the account's next request: sessions read
// the account each time.
func (c *Console) editAccount(w http.ResponseWriter, r *http.Request, u *user) {
	acc, err := c.accounts.Account(r.Context(), NormaliseName(r.PathValue("name")))
	if drone.ErrorCode(err) == drone.ENOTFOUND {
		c.notFound(w, r, u)
		return
	}
	if err != nil {
		c.internal(w, r, u, err)
		return
	}
	roles, clearance := []string{r.PostFormValue("roles")}, r.PostFormValue("clearance")
	before := *acc
	if errs := EditAccount(c.svc.Framework, acc, AccountChange{Roles: &roles, Clearance: &clearance}); len(errs) > 0 {
		shown := map[string]string{}
		for k, v := range errs {
			shown["edit-"+k] = acc.Name + ": " + v
		}
		c.showAccounts(w, r, u, http.StatusUnprocessableEntity, map[string]string{"clearance": "AMBER"}, shown)
		return
	}
	if acc.Name == u.acc.Name && !slices.Contains(acc.Roles, drone.RoleAdmin) {
		c.showAccounts(w, r, u, http.StatusUnprocessableEntity, map[string]string{"clearance": "AMBER"},
			map[string]string{"edit": "You cannot take the role admin from yourself: ask another administrator."})
		return
	}
	acc.UpdatedAt = c.now().UTC()
	if err := c.accounts.SaveAccount(r.Context(), *acc); err != nil {
		c.internal(w, r, u, err)
		return
	}
	c.log.Info("web console: account changed", "name", acc.Name, "roles", acc.Roles, "was_roles", before.Roles,
		"clearance", acc.Clearance, "was_clearance", before.Clearance, "by", u.acc.Name)
	http.Redirect(w, r, "/accounts?changed="+url.QueryEscape(acc.Name), http.StatusSeeOther)
}

func (c *Console) addAccount(w http.ResponseWriter, r *http.Request, u *user) {
	values := map[string]string{"name": r.PostFormValue("name"), "display_name": r.PostFormValue("display_name"),
		"roles": r.PostFormValue("roles"), "clearance": r.PostFormValue("clearance")}
	acc, errs := NewAccount(c.svc.Framework, values["name"], values["display_name"], r.PostFormValue("password"),
		values["clearance"], []string{values["roles"]})
	if len(errs) > 0 {
		c.showAccounts(w, r, u, http.StatusUnprocessableEntity, values, errs)
		return
	}
	hash, err := HashPassword(r.PostFormValue("password"))
	if err != nil {
		c.internal(w, r, u, err)
		return
	}
	now := c.now().UTC()
	acc.PasswordHash, acc.CreatedAt, acc.UpdatedAt = hash, now, now
	if err := c.accounts.CreateAccount(r.Context(), acc); drone.ErrorCode(err) == drone.ECONFLICT {
		c.showAccounts(w, r, u, http.StatusUnprocessableEntity, values, map[string]string{"name": drone.ErrorMessage(err)})
		return
	} else if err != nil {
		c.internal(w, r, u, err)
		return
	}
	c.log.Info("web console: account added", "name", acc.Name, "roles", acc.Roles, "clearance", acc.Clearance, "by", u.acc.Name)
	http.Redirect(w, r, "/accounts?added="+acc.Name, http.StatusSeeOther)
}

type accountData struct {
	Errors  map[string]string
	Changed bool
}

// accountPage shows the signed-in account, with the form to change its password.
func (c *Console) accountPage(w http.ResponseWriter, r *http.Request, u *user) {
	c.render(w, r, u, http.StatusOK, "account", "Your account", accountData{Changed: r.URL.Query().Get("changed") != ""})
}

// changePassword changes the signed-in account's password and ends its
// other sessions.
func (c *Console) changePassword(w http.ResponseWriter, r *http.Request, u *user) {
	errs := map[string]string{}
	current, next := r.PostFormValue("current"), r.PostFormValue("password")
	if !VerifyPassword(u.acc.PasswordHash, current) {
		errs["current"] = "This is not your current password."
	}
	if err := CheckPassword(u.acc.Name, next); err != nil {
		errs["password"] = err.Error()
	}
	if next != r.PostFormValue("confirm") {
		errs["confirm"] = "The two passwords differ."
	}
	if len(errs) > 0 {
		c.render(w, r, u, http.StatusUnprocessableEntity, "account", "Your account", accountData{Errors: errs})
		return
	}
	hash, err := HashPassword(next)
	if err != nil {
		c.internal(w, r, u, err)
		return
	}
	acc := *u.acc
	acc.PasswordHash, acc.UpdatedAt = hash, c.now().UTC()
	if err := c.accounts.SaveAccount(r.Context(), acc); err != nil {
		c.internal(w, r, u, err)
		return
	}
	if err := c.endOtherSessions(r, u); err != nil {
		c.internal(w, r, u, err)
		return
	}
	http.Redirect(w, r, "/account?changed=1", http.StatusSeeOther)
}

// endOtherSessions signs the account out everywhere but here.
func (c *Console) endOtherSessions(r *http.Request, u *user) error {
	// Delete all, then keep this one: the store's filter has no "but".
	ctx := r.Context()
	if _, err := c.accounts.DeleteSessions(ctx, drone.SessionFilter{Account: u.acc.Name}); err != nil {
		return err
	}
	return c.accounts.CreateSession(ctx, *u.sess)
}
