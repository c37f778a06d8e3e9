// The chat page: send without a reload, stream the companion's reply (server-sent events over a
// fetch() POST, since EventSource cannot POST), show what it remembered, record 👍/👎.
// Every send carries a client_id, so a double click or a retry is stored once.
(function () {
  "use strict";

  var chat = document.getElementById("chat");
  if (!chat) return;
  var log = document.getElementById("chat-log");
  var form = document.getElementById("composer");
  var input = document.getElementById("composer-text");
  var send = document.getElementById("composer-send");
  var errorBox = document.getElementById("chat-error");
  var maxChars = parseInt(input.dataset.max || "20000", 10);
  var busy = false;

  function csrfToken() {
    var field = form.querySelector("input[name=csrfmiddlewaretoken]");
    if (field && field.value) return field.value;
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function newClientId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
  }

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
    var last = log.lastElementChild;
    if (last && last.scrollIntoView) last.scrollIntoView({ block: "end" });
  }

  function showError(message, retry) {
    errorBox.textContent = message + " ";
    if (retry) {
      var again = document.createElement("button");
      again.type = "button";
      again.className = "link retry";
      again.textContent = gettext("Try again");
      again.addEventListener("click", retry);
      errorBox.appendChild(again);
    }
    errorBox.hidden = false;
  }

  function clearError() {
    errorBox.hidden = true;
    errorBox.textContent = "";
  }

  function bubble(role, text) {
    var empty = document.getElementById("chat-empty");
    if (empty) empty.remove();
    var item = document.createElement("li");
    item.className = "chat-message " + role;
    var body = document.createElement("div");
    body.className = "bubble";
    body.textContent = text;
    item.appendChild(body);
    log.appendChild(item);
    scrollDown();
    return item;
  }

  function truncate(text, size) {
    return text.length <= size ? text : text.slice(0, size - 1) + "…";
  }

  function chips(item, memories) {
    var old = item.querySelector(".remembered");
    if (old) old.remove();
    if (!memories || !memories.length) return;
    var list = document.createElement("ul");
    list.className = "remembered";
    list.setAttribute("aria-label", gettext("What I remembered"));
    memories.forEach(function (memory) {
      var chip = document.createElement("li");
      chip.className = "remembered-chip";
      chip.dataset.memoryId = memory.id;
      var details = document.createElement("details");
      var summary = document.createElement("summary");
      var label = document.createElement("span");
      label.className = "remembered-label";
      label.textContent = gettext("remembered");
      summary.appendChild(label);
      summary.appendChild(document.createTextNode(" " + truncate(memory.text, 48)));
      var full = document.createElement("p");
      full.className = "remembered-text";
      full.textContent = memory.text;
      var actions = document.createElement("span");
      actions.className = "remembered-actions";
      [["up", "👍", gettext("Helpful")], ["down", "👎", gettext("Not helpful")]].forEach(function (spec) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "link feedback";
        button.dataset.signal = spec[0];
        button.textContent = spec[1];
        button.setAttribute("aria-label", spec[2]);
        button.title = spec[2];
        actions.appendChild(button);
      });
      var edit = document.createElement("a");
      edit.href = chat.dataset.edit.replace("/0/", "/" + memory.id + "/");
      edit.textContent = gettext("Edit");
      actions.appendChild(edit);
      details.appendChild(summary);
      details.appendChild(full);
      details.appendChild(actions);
      chip.appendChild(details);
      list.appendChild(chip);
    });
    item.appendChild(list);
  }

  // A reply the companion handed to a sub-agent gets a small "→ intent" badge.
  function routedBadge(item, routed) {
    var old = item.querySelector(".routed-badge");
    if (old) old.remove();
    if (!routed || !routed.intent) return;
    var badge = document.createElement("span");
    badge.className = "routed-badge";
    badge.dataset.intent = routed.intent;
    badge.title = gettext("Handed to a sub-agent");
    badge.textContent = "→ " + routed.intent;
    item.insertBefore(badge, item.firstChild);
    routedLinks(item, routed.links || []);
  }

  // The handler's buttons under a routed reply: links, or small forms for a POST (Undo).
  function routedLinks(item, links) {
    var old = item.querySelector(".routed-links");
    if (old) old.remove();
    if (!links.length) return;
    var box = document.createElement("div");
    box.className = "routed-links";
    links.forEach(function (link) {
      if (link.method === "post") {
        var form = document.createElement("form");
        form.method = "post";
        form.action = link.url;
        form.className = "inline";
        var token = document.createElement("input");
        token.type = "hidden";
        token.name = "csrfmiddlewaretoken";
        token.value = csrfToken();
        var next = document.createElement("input");
        next.type = "hidden";
        next.name = "next";
        next.value = window.location.pathname;
        var button = document.createElement("button");
        button.type = "submit";
        button.className = "link routed-link";
        button.textContent = link.label;
        form.appendChild(token);
        form.appendChild(next);
        form.appendChild(button);
        box.appendChild(form);
      } else {
        var anchor = document.createElement("a");
        anchor.href = link.url;
        anchor.className = "button routed-link";
        anchor.textContent = link.label;
        box.appendChild(anchor);
      }
    });
    item.appendChild(box);
  }

  // Server-sent events: "event: name\ndata: json\n\n" blocks, possibly split across reads.
  async function readEvents(response, onEvent) {
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    for (;;) {
      var step = await reader.read();
      if (step.done) break;
      buffer += decoder.decode(step.value, { stream: true });
      var end;
      while ((end = buffer.indexOf("\n\n")) !== -1) {
        var block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        var name = "message";
        var data = "";
        block.split("\n").forEach(function (line) {
          if (line.indexOf("event: ") === 0) name = line.slice(7);
          else if (line.indexOf("data: ") === 0) data += line.slice(6);
        });
        onEvent(name, data ? JSON.parse(data) : {});
      }
    }
  }

  async function sendTurn(text, clientId, mine) {
    busy = true;
    send.disabled = true;
    clearError();
    var reply = null;
    var finished = false;
    var failure = null;
    var memories = [];
    function retry() {
      if (busy) return;
      if (reply) reply.remove();
      sendTurn(text, clientId, mine);
    }
    try {
      var response = await fetch(chat.dataset.api, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "text/event-stream, application/json",
          "X-CSRFToken": csrfToken(),
        },
        body: JSON.stringify({ text: text, client_id: clientId, stream: true }),
      });
      if (!response.ok) {
        // Refused before anything was stored: give the text back so nothing is lost.
        var body = null;
        try {
          body = await response.json();
        } catch (ignored) {
          body = null;
        }
        mine.remove();
        if (!input.value) input.value = text;
        showError(
          body && body.error
            ? body.error.message
            : interpolate(gettext("Your message could not be sent (%s)."), [response.status])
        );
        return;
      }
      await readEvents(response, function (name, data) {
        if (name === "message") {
          mine.dataset.messageId = data.message.id;
          mine.classList.remove("pending");
          if (data.conversation_title) {
            var heading = document.querySelector(".chat-title");
            if (heading) heading.textContent = data.conversation_title;
            var titleField = document.getElementById("id_title");
            if (titleField && !titleField.value) titleField.value = data.conversation_title;
            document.title = data.conversation_title + " · " + gettext("Chat") + " · Macaron";
          }
        } else if (name === "memories") {
          memories = data.memories;
        } else if (name === "chunk") {
          if (!reply) {
            reply = bubble("companion", "");
            reply.classList.add("streaming");
          }
          reply.querySelector(".bubble").textContent += data.text;
          scrollDown();
        } else if (name === "done") {
          if (!reply) reply = bubble("companion", data.message.text);
          reply.querySelector(".bubble").textContent = data.message.text;
          reply.dataset.messageId = data.message.id;
          reply.classList.remove("streaming");
          chips(reply, data.memories || memories);
          routedBadge(reply, data.routed);
          finished = true;
          scrollDown();
        } else if (name === "error") {
          failure = data;
        }
      });
    } catch (problem) {
      failure = { message: gettext("The connection was interrupted.") };
    } finally {
      busy = false;
      send.disabled = false;
    }
    if (!finished && document.body.contains(mine)) {
      // The message is stored (or will be, on retry with the same client_id); the reply is not.
      mine.classList.remove("pending");
      if (reply) {
        reply.classList.remove("streaming");
        reply.classList.add("failed");
      }
      showError((failure && failure.message) || gettext("Your companion did not answer."), retry);
    }
  }

  function submit(event) {
    if (event) event.preventDefault();
    if (busy) return;
    var text = input.value.trim();
    if (!text) {
      showError(gettext("Write something first."));
      input.focus();
      return;
    }
    if (text.length > maxChars) {
      showError(
        interpolate(
          gettext("That message is too long (%(length)s characters; the limit is %(limit)s). Split it into shorter messages."),
          { length: text.length.toLocaleString(document.documentElement.lang), limit: maxChars.toLocaleString(document.documentElement.lang) },
          true
        )
      );
      return;
    }
    var mine = bubble("user", text);
    mine.classList.add("pending");
    input.value = "";
    sendTurn(text, newClientId(), mine);
  }

  form.addEventListener("submit", submit);
  input.addEventListener("keydown", function (event) {
    // Enter sends; Shift+Enter is a new line; Enter that confirms IME input is not a send.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      submit(event);
    }
  });

  log.addEventListener("click", async function (event) {
    var button = event.target.closest("button.feedback");
    if (!button) return;
    var chip = button.closest(".remembered-chip");
    var url = chat.dataset.feedback.replace("/0/", "/" + chip.dataset.memoryId + "/");
    button.disabled = true;
    try {
      var response = await fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify({ signal: button.dataset.signal }),
      });
      if (!response.ok) throw new Error(String(response.status));
      chip.querySelectorAll("button.feedback").forEach(function (other) {
        other.classList.toggle("chosen", other === button);
        other.disabled = true;
      });
      chip.dataset.feedback = button.dataset.signal;
    } catch (problem) {
      button.disabled = false;
      showError(gettext("Your feedback could not be saved. Please try again."));
    }
  });

  scrollDown();
})();
