package pyjson_test

import (
	"fmt"

	"github.com/djsession/djsession/pyjson"
)

func ExampleUnmarshal() {
	v, err := pyjson.Unmarshal([]byte(`{"count":1,"ratio":1.0,"big":18446744073709551616,"x":NaN}`))
	if err != nil {
		panic(err)
	}
	d := v.(*pyjson.Dict)
	for k, v := range d.All() {
		fmt.Printf("%s: %s %v\n", k, pyjson.TypeName(v), v)
	}
	// Output:
	// count: int 1
	// ratio: float 1
	// big: int 18446744073709551616
	// x: float NaN
}

func ExampleUnmarshal_error() {
	_, err := pyjson.Unmarshal([]byte(`{"a":1,}`))
	fmt.Println(err)
	// Output:
	// pyjson: Expecting property name enclosed in double quotes: line 1 column 8 (char 7)
}

func ExampleMarshal() {
	d := pyjson.NewDict(3)
	d.Set("name", "Zoë")
	d.Set("price", 10.0)
	d.Set("ids", []any{int64(1), int64(2)})
	b, err := pyjson.Marshal(d)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(b))
	// Output:
	// {"name":"Zo\u00eb","price":10.0,"ids":[1,2]}
}

func ExampleDict_GetString() {
	session, err := pyjson.UnmarshalDict([]byte(`{"_auth_user_id":"1","_auth_user_backend":"django.contrib.auth.backends.ModelBackend"}`))
	if err != nil {
		panic(err)
	}
	if id, ok := session.GetString("_auth_user_id"); ok {
		fmt.Println("user", id)
	}
	if _, ok := session.GetInt64("_auth_user_id"); !ok {
		fmt.Println("the id is a str, not an int")
	}
	// Output:
	// user 1
	// the id is a str, not an int
}

func ExampleDecode() {
	v, _ := pyjson.Unmarshal([]byte(`{"cart":[{"sku":"A1","qty":2,"price":9.99}]}`))
	var s struct {
		Cart []struct {
			SKU   string  `json:"sku"`
			Qty   int     `json:"qty"`
			Price float64 `json:"price"`
		} `json:"cart"`
	}
	if err := pyjson.Decode(v, &s); err != nil {
		panic(err)
	}
	fmt.Printf("%+v\n", s.Cart[0])
	// Output:
	// {SKU:A1 Qty:2 Price:9.99}
}
