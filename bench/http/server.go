// The HTTP benchmark's Go peer (bench/http.py): net/http with the TechEmpower plaintext
// and JSON routes, as a Go user writes them. Usage: server PORT (GOMAXPROCS from the
// environment; bench/http.py sets 1 for the one-core figures).
package main

import (
	"encoding/json"
	"net/http"
	"os"
)

type message struct {
	Message string `json:"message"`
}

func main() {
	mux := http.NewServeMux()
	mux.HandleFunc("/plaintext", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("Hello, World!"))
	})
	mux.HandleFunc("/json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(message{"Hello, World!"})
	})
	if err := http.ListenAndServe("127.0.0.1:"+os.Args[1], mux); err != nil {
		panic(err)
	}
}
