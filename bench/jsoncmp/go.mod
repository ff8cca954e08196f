module github.com/djsession/djsession/bench/jsoncmp

go 1.26.0

require github.com/djsession/djsession v0.0.0

require github.com/goccy/go-json v0.12.0

replace github.com/djsession/djsession => ../..
