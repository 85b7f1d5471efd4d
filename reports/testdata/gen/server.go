//go:build ignore

// Command server is a tiny stand-in for an authentication API, used only to
// produce the k6 fixtures in ../ with a real k6 binary (see gen.sh). The
// outcome of a request is a pure function of the X-User header (k6's
// exec.scenario.iterationInTest), so a run split into execution segments
// yields exactly the same outcome counts as one process.
package main

import (
	"encoding/json"
	"flag"
	"hash/fnv"
	"log"
	"net/http"
	"os"
	"strconv"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18080", "listen address")
	flag.Parse()
	slow := os.Getenv("SLOW_STEP") // a step to slow down (candidate run)
	mux := http.NewServeMux()
	step := func(name string, base time.Duration, decide func(user int) int) {
		mux.HandleFunc("POST "+pathOf[name], func(w http.ResponseWriter, r *http.Request) {
			user, _ := strconv.Atoi(r.Header.Get("X-User"))
			h := fnv.New32a()
			h.Write([]byte(name + r.Header.Get("X-User")))
			d := base + time.Duration(h.Sum32()%uint32(base/time.Millisecond+1))*time.Millisecond/2
			if name == slow {
				d = d * 16 / 10
			}
			time.Sleep(d)
			status := http.StatusOK
			if decide != nil {
				status = decide(user)
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(map[string]any{"status": map[string]any{"success": status == 200, "code": status}})
		})
	}
	step("wizard", 8*time.Millisecond, nil)
	step("credentials", 45*time.Millisecond, func(u int) int {
		switch {
		case u%13 == 5:
			return http.StatusLocked // lockout
		case u%17 == 3:
			return http.StatusTooManyRequests
		case u%19 == 7:
			return http.StatusUnauthorized // wrong password
		}
		return http.StatusOK
	})
	step("submit_otp", 30*time.Millisecond, func(u int) int {
		if u%11 == 4 {
			return http.StatusBadRequest // OTP rejected
		}
		return http.StatusOK
	})
	step("refresh", 12*time.Millisecond, func(u int) int {
		if u%23 == 9 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	step("validate", 60*time.Millisecond, func(u int) int {
		if u%13 == 8 {
			return http.StatusLocked
		}
		return http.StatusOK
	})
	step("change", 35*time.Millisecond, func(u int) int {
		if u%29 == 2 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	log.Fatal(http.ListenAndServe(*addr, mux))
}

var pathOf = map[string]string{
	"wizard":      "/api/v2/my/sign-in/wizard",
	"credentials": "/api/v2/my/sign-in",
	"submit_otp":  "/api/v2/my/sign-in/2fa",
	"refresh":     "/api/v2/my/token/refresh",
	"validate":    "/auth/v1/mfa/password/validate",
	"change":      "/auth/v1/mfa/password/change",
}
