package engine

import (
	"net/url"
	"strings"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/hooks"
	"github.com/imapshift/imapshift/core/message"
)

// wantStructure reports whether a message hook reads Message.Structure:
// host1's metadata FETCH then asks for BODYSTRUCTURE, so that such hooks
// decide without the body.
func (m msgHooks) wantStructure() bool {
	for _, c := range []*hooks.Chain{&m.planSkips, &m.copySkips, &m.lastSkips, &m.rewrites, &m.flags} {
		for _, h := range c.Skips {
			if isTrue[hooks.WantsStructure](h.Hook, hooks.WantsStructure.WantsStructure) {
				return true
			}
		}
		for _, h := range c.Rewrites {
			if isTrue[hooks.WantsStructure](h.Hook, hooks.WantsStructure.WantsStructure) {
				return true
			}
		}
		for _, h := range c.Flags {
			if isTrue[hooks.WantsStructure](h.Hook, hooks.WantsStructure.WantsStructure) {
				return true
			}
		}
	}
	return false
}

// structureParts flattens a BODYSTRUCTURE depth first, the root first.
func structureParts(bs imap.BodyStructure) []hooks.StructurePart {
	if bs == nil {
		return nil
	}
	var out []hooks.StructurePart
	bs.Walk(func(path []int, part imap.BodyStructure) bool {
		p := hooks.StructurePart{ContentType: strings.ToLower(part.MediaType()), Depth: len(path), Params: map[string]string{}}
		if d := part.Disposition(); d != nil {
			p.Disposition = strings.ToLower(d.Value)
			p.Filename = param(d.Params, "filename")
		}
		switch x := part.(type) {
		case *imap.BodyStructureSinglePart:
			for k, v := range x.Params {
				p.Params[strings.ToLower(strings.TrimSuffix(k, "*"))] = decodeParam(k, v)
			}
			if p.Filename == "" {
				p.Filename = param(x.Params, "name")
			}
			p.Size = int64(x.Size)
		case *imap.BodyStructureMultiPart:
			if x.Extended != nil {
				for k, v := range x.Extended.Params {
					p.Params[strings.ToLower(strings.TrimSuffix(k, "*"))] = decodeParam(k, v)
				}
			}
		}
		if _, single := bs.(*imap.BodyStructureSinglePart); single {
			p.Depth = 0 // a single-part message's path is {1}
		}
		out = append(out, p)
		return true
	})
	return out
}

// param returns the parameter name of ps (any case, RFC 2231 "name*"
// included), decoded.
func param(ps map[string]string, name string) string {
	for k, v := range ps {
		if strings.EqualFold(strings.TrimSuffix(k, "*"), name) {
			return decodeParam(k, v)
		}
	}
	return ""
}

// decodeParam decodes a parameter value as servers send it: RFC 2231
// (charset, language and %XX escapes, for a name ending in *) or RFC
// 2047 encoded words.
func decodeParam(name, v string) string {
	if strings.HasSuffix(name, "*") {
		if parts := strings.SplitN(v, "'", 3); len(parts) == 3 {
			if s, err := url.PathUnescape(parts[2]); err == nil {
				return s
			}
		}
	}
	return message.Decode(v)
}
