module github.com/djsession/djsession/bench/loadgen

go 1.26.0
